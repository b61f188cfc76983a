# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify: turn an mmseg config with a dilated backbone into its FastFCN
version (the stride-32 backbone plus ``JointPyramidUpsampling``, the heads
rewired), optionally carrying a trained checkpoint over.

Modules: :mod:`.model` (the conversion rule), :mod:`.backbones` (dilated
backbone -> stride-32 class), :mod:`.heads` (which heads read features),
:mod:`.mmseg_jpu_neck` (mmseg's own ``JPU`` as a source), :mod:`.levels`
(channels and strides, probed on the meta device), :mod:`.checkpoint`
(weights carried over), :mod:`.summary` (what changed), :mod:`.config_file`
(reading and writing configs).
"""
from .config_file import Conversion, jpuify
from .errors import JpuifyError
from .model import OUTPUT_STRIDES, jpuify_model

__all__ = [
    'Conversion', 'JpuifyError', 'OUTPUT_STRIDES', 'jpuify', 'jpuify_model'
]
