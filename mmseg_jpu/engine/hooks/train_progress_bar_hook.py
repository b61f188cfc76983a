# Copyright (c) mmseg_jpu contributors. All rights reserved.
import logging
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook, LoggerHook
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS


@HOOKS.register_module()
class TrainProgressBarHook(Hook):
    """Draw a terminal progress bar over the training iterations.

    Shows done/total iterations, speed and ETA on the main process. Add it
    with ``custom_hooks = [dict(type='TrainProgressBarHook')]``. It runs just
    before ``LoggerHook`` and ends the bar's line whenever the logger or a
    validation is about to print, so their lines start on a line of their
    own; with a console that shows no INFO messages, the bar keeps one
    line.
    """

    priority = 'NORMAL'  # LoggerHook is BELOW_NORMAL: it runs after us

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
        if self._bar is None:
            return
        self._bar.update()
        if self._others_print_now(runner):
            self._bar.file.write('\n')

    def after_train(self, runner) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar = None

    @staticmethod
    def _others_print_now(runner) -> bool:
        """Whether the logger or a validation prints on the console after
        this iteration (both print through the logger, at INFO)."""
        if not any(handler.level <= logging.INFO
                   for handler in runner.logger.handlers
                   if not isinstance(handler, logging.FileHandler)):
            return False
        done = runner.iter + 1
        logs = any(
            isinstance(hook, LoggerHook) and done % hook.interval == 0
            for hook in runner.hooks)
        loop = runner.train_loop
        validates = (
            runner.val_loop is not None
            and getattr(loop, 'val_interval', 0) > 0
            and done >= getattr(loop, 'val_begin', 1)
            and done % loop.val_interval == 0)
        return logs or validates
