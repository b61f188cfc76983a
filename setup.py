# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg_jpu: FastFCN's Joint Pyramid Upsampling for MMSegmentation.

The OpenMMLab packages are not pinned here on purpose: the plugin runs on two
stacks that provide the same ``mmcv``/``mmengine``/``mmseg`` modules from
different distributions. Install one of ``requirements/default.txt`` or
``requirements/classic.txt`` first (see README.md); ``import mmseg_jpu``
checks the versions it finds.
"""
from pathlib import Path

from setuptools import find_packages, setup


def read_version():
    namespace = {}
    exec((Path(__file__).parent / 'mmseg_jpu' / 'version.py').read_text(),
         namespace)
    return namespace['__version__']


def read_requirements(name):
    path = Path(__file__).parent / 'requirements' / f'{name}.txt'
    lines = (line.split('#')[0].strip() for line in path.read_text().split('\n'))
    return [line for line in lines if line]


setup(
    name='mmseg_jpu',
    version=read_version(),
    description="FastFCN's Joint Pyramid Upsampling (JPU) as an "
    'MMSegmentation plugin',
    long_description=(Path(__file__).parent / 'README.md').read_text(
        encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(include=['mmseg_jpu', 'mmseg_jpu.*']),
    python_requires='>=3.8',
    install_requires=['packaging'],
    extras_require={
        'default': read_requirements('default'),
        'classic': read_requirements('classic'),
        'tests': read_requirements('tests'),
    },
    zip_safe=False)
