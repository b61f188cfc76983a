# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .seg_data_check_hook import SegDataCheckHook
from .segmentor_check_hook import SegmentorCheckHook
from .train_progress_bar_hook import TrainProgressBarHook

__all__ = [
    'AtomicCheckpointHook', 'SegDataCheckHook', 'SegmentorCheckHook',
    'TrainProgressBarHook'
]
