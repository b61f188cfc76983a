# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .data_checked_loops import (DataCheckedEpochBasedTrainLoop,
                                 DataCheckedIterBasedTrainLoop,
                                 DataCheckedTestLoop, DataCheckedValLoop)

__all__ = [
    'DataCheckedEpochBasedTrainLoop', 'DataCheckedIterBasedTrainLoop',
    'DataCheckedTestLoop', 'DataCheckedValLoop'
]
