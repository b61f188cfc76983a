# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .matmul_encoding import MatmulEncoding
from .segmentor_check import check_segmentor, unwrap_segmentor

__all__ = ['MatmulEncoding', 'check_segmentor', 'unwrap_segmentor']
