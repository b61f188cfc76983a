# Copyright (c) mmseg_jpu contributors. All rights reserved.
import os
import os.path as osp
import re
from pathlib import Path

from mmengine.dist import barrier, is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS
from ...checkpoint import CheckpointLoadError, checkpoint_file_problem


class CheckpointWriteError(OSError):
    """A checkpoint could not be written; the previous one is kept."""


@register_backend('atomic_local')
class _AtomicLocalBackend(LocalBackend):
    """Writes each file to ``<path>.partial``, renamed once on disk."""

    def put(self, obj: bytes, filepath) -> None:
        partial = f'{filepath}.partial'
        try:
            super().put(obj, partial)
            with open(partial, 'rb') as file:
                os.fsync(file.fileno())
            os.replace(partial, filepath)
        except OSError:
            Path(partial).unlink(missing_ok=True)
            raise


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` that never loses a complete checkpoint
    and resumes from the newest complete one (docs/reliability.md)."""

    def before_run(self, runner) -> None:
        super().before_run(runner)
        if runner.cfg.get('resume') and runner.cfg.get('load_from') is None:
            if is_main_process():
                self._point_at_a_complete_checkpoint(runner)
            barrier()  # the other ranks read last_checkpoint after this

    def before_train(self, runner) -> None:
        if (self.backend_args is None and self.file_client_args is None
                and '://' not in str(self.out_dir)):
            self.backend_args = dict(backend='atomic_local')
        super().before_train(runner)

    def _point_at_a_complete_checkpoint(self, runner) -> None:
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        named = Path(pointer).read_text().strip() if osp.isfile(
            pointer) else ''
        problem = checkpoint_file_problem(named) if named else None
        if named and problem is None:
            return
        pattern = re.compile(
            re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)'))
        folder = osp.dirname(named) or runner.work_dir
        found = sorted(
            (int(match[1]), str(path))
            for path in Path(folder).glob(self.filename_tmpl.format('*'))
            if (match := pattern.fullmatch(path.name)))
        newest = next((path for _, path in reversed(found)
                       if checkpoint_file_problem(path) is None), None)
        why = (f'{pointer} names {named}, which '
               f'{getattr(problem, "summary", "is missing")}'
               if named else f'there is no {pointer}')
        if newest:
            runner.logger.warning(
                f'{why}: resuming from {newest} instead, the newest complete '
                f'checkpoint of {folder}.')
            Path(pointer).write_text(newest)
        elif named:
            raise CheckpointLoadError(
                f'cannot resume: {why}, and the work dir holds no other '
                f'complete checkpoint ({problem}). To train from the start, '
                f'delete {pointer} or run without --resume.')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        retired = []
        if self.max_keep_ckpts > 0 and step not in self.keep_ckpt_ids:
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                retired.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)  # so super() deletes nothing
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        try:
            super()._save_checkpoint_with_step(runner, step, meta)
        except OSError as error:
            raise CheckpointWriteError(
                error.errno,
                f'training stopped: cannot write {self.last_ckpt}: '
                f'{error.strerror or error}. The previous checkpoint and '
                f'{osp.join(runner.work_dir, "last_checkpoint")} are unchanged. '
                'Free disk space (or fix the cause), then continue with '
                '--resume.') from error
        for old in retired if is_main_process() else []:
            path = self.file_backend.join_path(self.out_dir,
                                               self.filename_tmpl.format(old))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
