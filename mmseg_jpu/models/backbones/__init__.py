# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .resnet_d32 import ResNetD32

__all__ = ['ResNetD32']
