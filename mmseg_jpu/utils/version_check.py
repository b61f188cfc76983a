# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Refuse to run on OpenMMLab versions the plugin was not built for."""
from importlib.metadata import PackageNotFoundError, version
from typing import Optional

from packaging.specifiers import SpecifierSet

#: module -> supported versions (torch 2.4 brings
#: ``torch.serialization.add_safe_globals``, needed by weights-only loading)
SUPPORTED_VERSIONS = {
    'torch': '>=2.4.0,<3.0.0',
    'mmcv': '>=2.1.0,<2.4.0',
    'mmengine': '>=0.10.7,<0.11.0',
    'mmseg': '>=1.2.2,<1.5.0',
}
#: module -> the distributions that may provide it, looked up by name (a
#: scan of every installed distribution costs most of a second)
DISTRIBUTIONS = {
    'torch': ('torch', ),
    'mmcv': ('mmcv', 'onedl-mmcv', 'mmcv-lite'),
    'mmengine': ('mmengine', 'onedl-mmengine', 'mmengine-lite'),
    'mmseg': ('mmsegmentation', 'onedl-mmsegmentation'),
}
SUPPORTED_STACKS = (
    'the default stack torch==2.13.0 + onedl-mmcv 2.3.6, onedl-mmengine '
    '0.10.12, onedl-mmsegmentation 1.4.2 (requirements/default.txt), or the '
    'classic stack mmcv 2.1.0, mmengine 0.10.7, mmsegmentation 1.2.2 '
    '(requirements/classic.txt)')


def installed_version(module: str) -> Optional[str]:
    """Version of the distribution that provides ``module``, without
    importing it (importing mmseg with a wrong mmcv fails on its own)."""
    for dist in DISTRIBUTIONS[module]:
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return None


def check_versions() -> None:
    """Raise one ``ImportError`` naming every dependency that is missing or
    outside :data:`SUPPORTED_VERSIONS`."""
    problems = []
    for module, supported in SUPPORTED_VERSIONS.items():
        found = installed_version(module)
        if found is None:
            problems.append(f'{module} is not installed (need {supported})')
        elif not SpecifierSet(supported).contains(found, prereleases=True):
            problems.append(
                f'{module} {found} is installed (need {supported})')
    if problems:
        raise ImportError('mmseg_jpu cannot run here: ' + '; '.join(problems) +
                          f'. Supported: {SUPPORTED_STACKS}.')
