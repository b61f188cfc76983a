# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg_jpu: FastFCN's Joint Pyramid Upsampling for MMSegmentation.

The OpenMMLab packages are not pinned here on purpose: the plugin runs on two
stacks that provide the same ``mmcv``/``mmengine``/``mmseg`` modules from
different distributions. Install one of ``requirements/default.txt`` or
``requirements/classic.txt`` first (see README.md); ``import mmseg_jpu``
checks the versions it finds.
"""
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
#: source -> destination below the package: what ``mmseg_jpu/.mim`` links to
#: in the source tree and holds as copies in a built package.
MIM_FILES = {
    'configs': 'configs',
    'model-index.yml': 'model-index.yml',
    'data/tiny': 'data/tiny',
    'demo': 'demo',
}


class BuildPyWithMimFiles(build_py):
    """Copy the configs, model index, tiny datasets and demo image into
    ``mmseg_jpu/.mim`` of the built package, as OpenMMLab packages ship
    theirs (``mmseg/.mim``)."""

    def run(self):
        super().run()
        mim = Path(self.build_lib) / 'mmseg_jpu' / '.mim'
        shutil.rmtree(mim, ignore_errors=True)
        for source, destination in MIM_FILES.items():
            target = mim / destination
            target.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target)
            else:
                shutil.copyfile(ROOT / source, target)


def read_version():
    namespace = {}
    exec((ROOT / 'mmseg_jpu' / 'version.py').read_text(),
         namespace)
    return namespace['__version__']


def read_requirements(name):
    path = ROOT / 'requirements' / f'{name}.txt'
    lines = (line.split('#')[0].strip() for line in path.read_text().split('\n'))
    return [line for line in lines if line]


setup(
    name='mmseg_jpu',
    version=read_version(),
    description="FastFCN's Joint Pyramid Upsampling (JPU) as an "
    'MMSegmentation plugin',
    long_description=(ROOT / 'README.md').read_text(
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
        'deploy': read_requirements('deploy'),
    },
    cmdclass={'build_py': BuildPyWithMimFiles},
    zip_safe=False)
