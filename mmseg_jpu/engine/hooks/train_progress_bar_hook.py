# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS


@HOOKS.register_module()
class TrainProgressBarHook(Hook):
    """Draw a terminal progress bar over the training iterations.

    Shows done/total iterations, speed and ETA on the main process. Add it
    with ``custom_hooks = [dict(type='TrainProgressBarHook')]``; it complements
    the periodic loss lines of ``LoggerHook``.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar: Optional[ProgressBar] = None

    def before_train(self, runner) -> None:
        if is_main_process():
            self._bar = ProgressBar(runner.max_iters - runner.iter)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self._bar is not None:
            self._bar.update()

    def after_train(self, runner) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar = None
