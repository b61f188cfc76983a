# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify: turn an mmseg config with a dilated backbone into its FastFCN
version (the stride-32 backbone plus ``JointPyramidUpsampling``, the heads
rewired), optionally carrying a trained checkpoint over."""
from .config_file import Conversion, jpuify
from .errors import JpuifyError
from .model import OUTPUT_STRIDES, jpuify_model

__all__ = [
    'Conversion', 'JpuifyError', 'OUTPUT_STRIDES', 'jpuify', 'jpuify_model'
]
