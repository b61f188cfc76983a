# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify: the FastFCN version of an mmseg config with a dilated backbone."""
from .config_file import Conversion, jpuify
from .model import OUTPUT_STRIDES, JpuifyError, jpuify_model

__all__ = [
    'Conversion', 'JpuifyError', 'OUTPUT_STRIDES', 'jpuify', 'jpuify_model'
]
