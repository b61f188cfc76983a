# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .any_device_amp_optim_wrapper import AnyDeviceAmpOptimWrapper

__all__ = ['AnyDeviceAmpOptimWrapper']
