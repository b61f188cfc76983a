# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.hooks import Hook

from mmseg.registry import HOOKS


def _batch(runner) -> dict:
    return dict(
        processes=runner.world_size,
        per_process=runner.cfg.train_dataloader.batch_size)


@HOOKS.register_module()
class ResumeBatchCheckHook(Hook):
    """Warn in one line when ``--resume`` continues a run with another total
    batch (processes x ``train_dataloader.batch_size``) than the run that
    wrote the checkpoint.

    Checkpoints record the batch in ``meta['batch']``. The resumed optimizer
    holds that run's learning rate, which the linear scaling rule ties to its
    total batch. ``load_from`` without ``resume`` (fine-tuning) says nothing.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['batch'] = _batch(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('meta', {}).get('batch')
        if not (runner.cfg.get('resume') and saved):
            return
        now = _batch(runner)
        before = saved['processes'] * saved['per_process']
        after = now['processes'] * now['per_process']
        if before != after:
            runner.logger.warning(
                f'resuming a run of {saved["processes"]} process(es) x '
                f'{saved["per_process"]} images = {before} images per '
                f'iteration with {now["processes"]} x {now["per_process"]} = '
                f'{after}: the learning rate resumed with the optimizer was '
                f'set for {before}, and the linear scaling rule would scale '
                f'it by {after}/{before}; resume with {saved["processes"]} '
                f'process(es) x {saved["per_process"]} to continue the same '
                'training')
