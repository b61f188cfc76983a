# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .check_seg_map_shape import CheckSegMapShape

__all__ = ['CheckSegMapShape']
