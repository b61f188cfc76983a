# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Make mmpretrain importable on machines without a working torchvision.

mmpretrain imports torchvision at module level (for its image transforms and
box metrics), and PyPI has no CPU build of torchvision for torch 2.13, so on
the CPU test machines ``import mmpretrain.models`` fails although its
backbones never touch torchvision. Where torchvision imports, nothing is
changed; otherwise minimal stand-in modules with the names mmpretrain reads
at import time are registered, so tests can build mmpretrain's real
backbones.
"""
import enum
import sys
import types


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


def ensure_mmpretrain_importable() -> None:
    try:
        import torchvision  # noqa: F401
        return
    except ImportError:
        pass
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
