# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .bifpn_neck import BiFPNNeck
from .bilinear_upsampling import BilinearUpsampling
from .joint_pyramid_upsampling import JointPyramidUpsampling
from .joint_pyramid_upsampling_x import JointPyramidUpsamplingX

__all__ = [
    'BiFPNNeck', 'BilinearUpsampling', 'JointPyramidUpsampling',
    'JointPyramidUpsamplingX'
]
