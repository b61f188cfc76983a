# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .segmentor_check import check_segmentor, unwrap_segmentor

__all__ = ['check_segmentor', 'unwrap_segmentor']
