# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .cpu_distributed_data_parallel import CPUDistributedDataParallel

__all__ = ['CPUDistributedDataParallel']
