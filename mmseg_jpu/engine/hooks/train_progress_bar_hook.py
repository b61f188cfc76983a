# Copyright (c) mmseg_jpu contributors. All rights reserved.
import logging

from mmengine.dist import is_main_process
from mmengine.hooks import Hook, LoggerHook
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS


@HOOKS.register_module()
class TrainProgressBarHook(Hook):
    """mmengine's ``ProgressBar`` over the training iterations (done/total,
    speed, ETA) on the main process.

    It ends the bar's line whenever ``LoggerHook`` or a validation is about
    to print on the console, so that their lines start on their own. Add it
    with ``custom_hooks = [dict(type='TrainProgressBarHook')]``.
    """

    priority = 'NORMAL'  # before LoggerHook (BELOW_NORMAL)

    def __init__(self) -> None:
        self._bar = None

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
            if _others_print_now(runner):
                self._bar.file.write('\n')

    def after_train(self, runner) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar = None


def _others_print_now(runner) -> bool:
    """Whether the logger or a validation prints on the console (at INFO)
    after this iteration."""
    if all(handler.level > logging.INFO for handler in runner.logger.handlers
           if not isinstance(handler, logging.FileHandler)):
        return False
    done, loop = runner.iter + 1, runner.train_loop
    validates = (
        runner.val_loop is not None and getattr(loop, 'val_interval', 0) > 0
        and done >= getattr(loop, 'val_begin', 1)
        and done % loop.val_interval == 0)
    return validates or any(
        isinstance(hook, LoggerHook) and done % hook.interval == 0
        for hook in runner.hooks)
