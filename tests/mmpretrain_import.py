# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Make mmpretrain importable on machines without a working torchvision.

mmpretrain imports torchvision at module level (for its image transforms and
box metrics), and PyPI has no CPU build of torchvision for torch 2.13, so on
the CPU test machines ``import mmpretrain.models`` fails although its
backbones never touch torchvision. Where torchvision imports, nothing is
changed; otherwise minimal stand-in modules with the names mmpretrain reads
at import time are registered while it imports, so tests can build
mmpretrain's real backbones.
"""
import enum
import sys
import types
from typing import List


class _InterpolationMode(enum.Enum):
    NEAREST = 'nearest'
    BILINEAR = 'bilinear'
    BICUBIC = 'bicubic'
    BOX = 'box'
    HAMMING = 'hamming'
    LANCZOS = 'lanczos'


def _module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _install_stand_ins() -> List[str]:
    torchvision = _module('torchvision')
    torchvision.ops = _module('torchvision.ops')
    torchvision.ops.boxes = _module('torchvision.ops.boxes')
    torchvision.transforms = _module(
        'torchvision.transforms', InterpolationMode=_InterpolationMode)
    for name in ('functional', 'transforms'):
        setattr(
            torchvision.transforms, name,
            _module(f'torchvision.transforms.{name}',
                    InterpolationMode=_InterpolationMode))
    return [name for name in sys.modules if name.startswith('torchvision')]


def ensure_mmpretrain_importable() -> None:
    """Import ``mmpretrain.models`` (registering its backbones), with the
    stand-ins only while it imports: afterwards ``import torchvision``
    fails again as it did before."""
    try:
        import torchvision  # noqa: F401
        stand_ins = []
    except ImportError:
        stand_ins = _install_stand_ins()
    try:
        import mmpretrain.models  # noqa: F401
    finally:
        for name in stand_ins:
            del sys.modules[name]
