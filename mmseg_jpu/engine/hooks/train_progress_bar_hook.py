# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.dist import is_main_process
from mmengine.hooks import Hook, LoggerHook
from mmengine.utils import ProgressBar

from mmseg.registry import HOOKS


@HOOKS.register_module()
class TrainProgressBarHook(Hook):
    """mmengine's ``ProgressBar`` over the training iterations (done/total,
    speed, ETA) on the main process, ended before a log or validation."""

    priority = 'NORMAL'  # before LoggerHook (BELOW_NORMAL)

    def before_train(self, runner) -> None:
        todo = runner.max_iters - runner.iter
        self._bar = ProgressBar(todo) if is_main_process() else None
        self._ends = [  # the iterations after which a log line is printed
            h.interval for h in runner.hooks if isinstance(h, LoggerHook)
        ]
        if runner.val_loop is not None:
            self._ends.append(runner.train_loop.val_interval)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self._bar is not None:
            self._bar.update()
            if any(self.every_n_train_iters(runner, n) for n in self._ends):
                self._bar.file.write('\n')

    def after_train(self, runner) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
