# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook, CheckpointWriteError
from .divergence_check_hook import DivergenceCheckHook, TrainingDivergedError
from .resume_batch_check_hook import ResumeBatchCheckHook
from .seg_data_check_hook import SegDataCheckHook
from .segmentor_check_hook import (SegmentorCheckHook, check_segmentor,
                                   unwrap_segmentor)
from .train_progress_bar_hook import TrainProgressBarHook

__all__ = [
    'AtomicCheckpointHook', 'CheckpointWriteError', 'DivergenceCheckHook',
    'ResumeBatchCheckHook', 'SegDataCheckHook', 'SegmentorCheckHook',
    'TrainProgressBarHook', 'TrainingDivergedError', 'check_segmentor',
    'unwrap_segmentor'
]
