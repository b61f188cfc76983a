# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.hooks import Hook

from mmseg.registry import HOOKS


@HOOKS.register_module()
class ResumeBatchCheckHook(Hook):
    """Say in one line when ``--resume`` continues a run with another total
    batch (processes x ``train_dataloader.batch_size``) than the run that
    wrote the checkpoint.

    Each checkpoint records its run's processes and per-process batch in
    ``meta['batch']``. The optimizer state resumed with it holds that run's
    learning rate, which the linear scaling rule ties to its total batch:
    a resumed run with another total batch trains differently from the
    one it continues, so the warning says by how much and how to continue
    the same training. Loading weights with ``load_from`` (fine-tuning) is
    not resuming and says nothing. The plugin's configs register it in
    ``default_hooks`` (``resume_batch_check``).
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
        now = dict(
            processes=runner.world_size,
            per_process=runner.cfg.train_dataloader.batch_size)
        total = {name: b['processes'] * b['per_process']
                 for name, b in (('saved', saved), ('now', now))}
        if total['saved'] == total['now']:
            return
        runner.logger.warning(
            f'resuming a run of {saved["processes"]} process(es) x '
            f'{saved["per_process"]} images = {total["saved"]} images per '
            f'iteration with {now["processes"]} x {now["per_process"]} = '
            f'{total["now"]}: the learning rate resumed with the optimizer '
            f'was set for {total["saved"]}, and the linear scaling rule '
            f'would scale it by {total["now"]}/{total["saved"]}; resume '
            f'with {saved["processes"]} process(es) x '
            f'{saved["per_process"]} to continue the same training')
