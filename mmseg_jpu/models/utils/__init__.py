# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .matmul_encoding import MatmulEncoding

__all__ = ['MatmulEncoding']
