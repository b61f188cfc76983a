# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .joint_pyramid_upsampling import JointPyramidUpsampling

__all__ = ['JointPyramidUpsampling']
