# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.hooks import Hook

from mmseg.registry import HOOKS


@HOOKS.register_module()
class ResumeBatchCheckHook(Hook):
    """Warn in one line when ``--resume`` continues a run with another total
    batch (processes x ``train_dataloader.batch_size``, ``meta['batch']``).
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['batch'] = dict(
            processes=runner.world_size,
            per_process=runner.cfg.train_dataloader.batch_size)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('meta', {}).get('batch')
        if not (runner.cfg.get('resume') and saved):
            return
        processes, per_process = saved['processes'], saved['per_process']
        now = runner.cfg.train_dataloader.batch_size
        if processes * per_process != runner.world_size * now:
            runner.logger.warning(
                f'resuming a run of {processes} process(es) x {per_process} '
                f'images = {processes * per_process} images per iteration '
                f'with {runner.world_size} x {now} = '
                f'{runner.world_size * now}: the resumed learning rate was '
                f'set for the old batch; resume with {processes} process(es) '
                f'x {per_process} to continue the same training')
