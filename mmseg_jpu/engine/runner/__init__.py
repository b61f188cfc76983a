# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .data_checked_loops import (DataCheckedIterBasedTrainLoop,
                                 DataCheckedTestLoop, DataCheckedValLoop)

__all__ = [
    'DataCheckedIterBasedTrainLoop', 'DataCheckedTestLoop',
    'DataCheckedValLoop'
]
