# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .train_progress_bar_hook import TrainProgressBarHook

__all__ = ['TrainProgressBarHook']
