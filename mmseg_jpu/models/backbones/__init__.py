# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .mobilenet_v2_d32 import MobileNetV2D32
from .resnest_d32 import ResNeStD32
from .resnet_d32 import ResNetD32

__all__ = ['MobileNetV2D32', 'ResNeStD32', 'ResNetD32']
