# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .transforms import CheckSegMapShape

__all__ = ['CheckSegMapShape']
