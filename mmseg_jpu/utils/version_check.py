# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Refuse to run on OpenMMLab versions the plugin was not built for."""
from importlib.metadata import PackageNotFoundError, version
from typing import Optional

from packaging.specifiers import SpecifierSet

#: module -> (supported versions, the distributions that may provide it);
#: torch 2.4 brings the safe globals of weights-only loading.
SUPPORTED_VERSIONS = {
    'torch': ('>=2.4.0,<3.0.0', 'torch'),
    'mmcv': ('>=2.1.0,<2.4.0', 'mmcv', 'onedl-mmcv', 'mmcv-lite'),
    'mmengine': ('>=0.10.7,<0.11.0', 'mmengine', 'onedl-mmengine',
                 'mmengine-lite'),
    'mmseg': ('>=1.2.2,<1.5.0', 'mmsegmentation', 'onedl-mmsegmentation'),
}


def installed_version(module: str) -> Optional[str]:
    """Version of the distribution that provides ``module``, without
    importing it (importing mmseg with a wrong mmcv fails on its own)."""
    for distribution in SUPPORTED_VERSIONS[module][1:]:
        try:
            return version(distribution)
        except PackageNotFoundError:
            pass
    return None


def check_versions() -> None:
    """Raise one ``ImportError`` naming every dependency that is missing or
    of an unsupported version."""
    problems = []
    for module, (supported, *_) in SUPPORTED_VERSIONS.items():
        found = installed_version(module)
        if not SpecifierSet(supported).contains(
                found or '0', prereleases=True):
            state = f'{found} is installed' if found else 'is not installed'
            problems.append(f'{module} {state} (need {supported})')
    if problems:
        raise ImportError('mmseg_jpu cannot run here: ' + '; '.join(problems) +
                          '. Install requirements/default.txt or '
                          'requirements/classic.txt (docs/installation.md).')
