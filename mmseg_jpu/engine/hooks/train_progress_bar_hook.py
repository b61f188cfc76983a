# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.dist import is_main_process
from mmengine.hooks import Hook, LoggerHook
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS


@HOOKS.register_module()
class TrainProgressBarHook(Hook):
    """mmengine's ``ProgressBar`` over the training iterations (done/total,
    speed, ETA) on the main process.

    The bar's line ends before ``LoggerHook`` or a validation prints.
    """

    priority = 'NORMAL'  # before LoggerHook (BELOW_NORMAL)

    def before_train(self, runner) -> None:
        self._bar = None
        if is_main_process():
            self._bar = ProgressBar(runner.max_iters - runner.iter)
        self._intervals = [
            hook.interval for hook in runner.hooks
            if isinstance(hook, LoggerHook)
        ]
        if runner.val_loop is not None:
            self._intervals.append(runner.train_loop.val_interval)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self._bar is not None:
            self._bar.update()
            if any(
                    self.every_n_train_iters(runner, n)
                    for n in self._intervals):
                self._bar.file.write('\n')

    def after_train(self, runner) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
