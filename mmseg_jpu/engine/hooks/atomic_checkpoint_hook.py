# Copyright (c) mmseg_jpu contributors. All rights reserved.
import os
import os.path as osp
import re
from pathlib import Path

from mmengine.dist import barrier, is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS
from ...checkpoint import CheckpointLoadError, checkpoint_file_problem


class CheckpointWriteError(OSError):
    """A checkpoint could not be written; the previous one is kept."""


def _write_atomically(text: str, path: str) -> None:
    with open(f'{path}.partial', 'w') as file:
        file.write(text)
    _publish(f'{path}.partial', path)


def _publish(partial: str, path: str) -> None:
    """Flush the complete ``partial`` file to disk, rename it to ``path``."""
    with open(partial, 'rb') as file:
        os.fsync(file.fileno())
    os.replace(partial, path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` that never loses a complete checkpoint.

    Each checkpoint is written to ``<name>.partial`` and renamed once
    complete, then ``last_checkpoint`` is pointed at it, and only then are
    the checkpoints ``max_keep_ckpts`` retires deleted; a failed write stops
    the run with :class:`CheckpointWriteError`. With ``resume=True`` and no
    ``load_from``, when ``last_checkpoint`` is missing or names a file that
    cannot be loaded, it is pointed at the newest complete checkpoint.
    Takes ``CheckpointHook``'s arguments.
    """

    def before_run(self, runner) -> None:
        super().before_run(runner)
        if runner.cfg.get('resume') and runner.cfg.get('load_from') is None:
            if is_main_process():
                self._point_at_a_complete_checkpoint(runner)
            barrier()  # the other ranks read last_checkpoint after this

    def _point_at_a_complete_checkpoint(self, runner) -> None:
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        named = Path(pointer).read_text().strip() if osp.isfile(
            pointer) else ''
        problem = checkpoint_file_problem(named) if named else None
        if named and problem is None:
            return
        pattern = re.compile(
            re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)'))
        folders = {runner.work_dir, osp.dirname(named) or runner.work_dir}
        found = sorted((int(match[1]), osp.join(folder, name))
                       for folder in folders if osp.isdir(folder)
                       for name in os.listdir(folder)
                       if (match := pattern.fullmatch(name)))
        newest = next((path for _, path in reversed(found)
                       if checkpoint_file_problem(path) is None), None)
        why = (f'{pointer} names {named}, which '
               f'{getattr(problem, "summary", "is missing")}'
               if named else f'there is no {pointer}')
        if newest:
            runner.logger.warning(
                f'{why}: resuming from {newest} instead, the newest complete '
                f'checkpoint of {osp.dirname(newest)}.')
            _write_atomically(newest, pointer)
        elif named:
            raise CheckpointLoadError(
                f'cannot resume: {why}, and the work dir holds no other '
                f'complete checkpoint ({problem}). To train from the start, '
                f'delete {pointer} or run without --resume.')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        retired = []
        if self.max_keep_ckpts > 0 and step not in self.keep_ckpt_ids:
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                retired.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        try:
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
            if is_main_process():
                _publish(f'{self.last_ckpt}.partial', self.last_ckpt)
                _write_atomically(self.last_ckpt, pointer)
        except OSError as error:
            for partial in (self.last_ckpt, pointer):
                Path(f'{partial}.partial').unlink(missing_ok=True)
            raise CheckpointWriteError(
                error.errno,
                f'training stopped: cannot write {self.last_ckpt}: '
                f'{error.strerror or error}. The previous checkpoint and '
                f'{pointer} are unchanged. Free disk space (or fix the '
                'cause), then continue with --resume.') from error
        for old in retired if is_main_process() else []:
            Path(self.out_dir,
                 self.filename_tmpl.format(old)).unlink(missing_ok=True)
