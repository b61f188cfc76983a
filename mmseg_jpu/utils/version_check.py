# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Refuse to run on OpenMMLab versions the plugin was not built for."""
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as distribution_version
from typing import Dict, Optional, Tuple

from packaging.version import Version

#: module -> (lowest supported version, first unsupported version). torch
#: 2.4 is the first with ``torch.serialization.add_safe_globals``, which the
#: weights-only checkpoint loading needs for the Runner's own checkpoints.
SUPPORTED_VERSIONS: Dict[str, Tuple[str, str]] = {
    'torch': ('2.4.0', '3.0.0'),
    'mmcv': ('2.1.0', '2.4.0'),
    'mmengine': ('0.10.7', '0.11.0'),
    'mmseg': ('1.2.2', '1.5.0'),
}
#: module -> the distributions that may provide it, looked up by name (a
#: scan of every installed distribution costs most of a second)
DISTRIBUTIONS: Dict[str, Tuple[str, ...]] = {
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
            return distribution_version(dist)
        except PackageNotFoundError:
            continue
    return None


def _describe(module: str) -> Optional[str]:
    low, high = SUPPORTED_VERSIONS[module]
    found = installed_version(module)
    if found is None:
        return f'{module} is not installed (need >={low},<{high})'
    if not Version(low) <= Version(Version(found).base_version) < Version(
            high):
        return f'{module} {found} is installed (need >={low},<{high})'
    return None


def check_versions() -> None:
    """Raise one ImportError listing every unsupported dependency.

    Raises:
        ImportError: If torch, mmcv, mmengine or mmseg is missing or outside
            the supported range.
    """
    problems = [p for p in map(_describe, SUPPORTED_VERSIONS) if p]
    if problems:
        raise ImportError('mmseg_jpu cannot run here: ' + '; '.join(problems) +
                          f'. Supported: {SUPPORTED_STACKS}.')
