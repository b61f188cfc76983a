# Copyright (c) mmseg_jpu contributors. All rights reserved.
import os
import os.path as osp
import shutil
from typing import List

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS


def _replace_with(text: str, path: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    partial = f'{path}.partial'
    with open(partial, 'w') as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def _publish(partial: str, path: str) -> None:
    """Flush the finished ``partial`` file to disk and rename it to
    ``path`` in one step."""
    with open(partial, 'rb') as file:
        os.fsync(file.fileno())
    os.replace(partial, path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` whose checkpoints survive a kill at any
    moment.

    mmengine's hook first deletes the checkpoint that ``max_keep_ckpts``
    retires, then writes the new one in place. A run killed while writing
    (SIGKILL, out of memory, preemption) leaves a truncated file, and with
    ``max_keep_ckpts=1`` no complete checkpoint at all: ``--resume`` cannot
    continue. This hook writes each checkpoint to ``<name>.partial``, renames
    it to ``<name>`` once complete, then points ``last_checkpoint`` at it
    (also atomically), and only then deletes retired checkpoints. So
    ``last_checkpoint`` always names a complete file, and ``--resume``
    loses at most the iterations since it. Accepts the same arguments as
    ``CheckpointHook``; checkpoints saved to other backends than local files
    are written as ``CheckpointHook`` writes them.
    """

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        retired = self._retire_outdated(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            f'{filename}.partial',
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        _publish(f'{self.last_ckpt}.partial', self.last_ckpt)
        _replace_with(self.last_ckpt,
                      osp.join(runner.work_dir, 'last_checkpoint'))
        for path in retired:
            self._remove(path)

    def _retire_outdated(self, runner, step) -> List[str]:
        """Record ``step`` among the kept checkpoints (as ``CheckpointHook``
        does) and return the paths that ``max_keep_ckpts`` retires."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids
                                        and self.keep_ckpt_ids[-1] == step):
            return []
        retired = []
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            retired.append(
                osp.join(self.out_dir,
                         self.filename_tmpl.format(
                             self.keep_ckpt_ids.popleft())))
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        return retired

    @staticmethod
    def _remove(path: str) -> None:
        if osp.isdir(path):  # checkpoints saved by DeepSpeed are folders
            shutil.rmtree(path)
        elif osp.isfile(path):
            os.remove(path)
