# Copyright (c) mmseg_jpu contributors. All rights reserved.
import errno
import os
import os.path as osp
import re
import shutil
from typing import List, Optional

from mmengine.dist import barrier, is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS
from ...checkpoint import CheckpointLoadError, checkpoint_file_problem

PARTIAL = '.partial'


class CheckpointWriteError(OSError):
    """A checkpoint could not be written; the previous checkpoint and
    ``last_checkpoint`` are left as they were."""


def _publish(partial: str, path: str) -> None:
    """Flush the complete ``partial`` file to disk, rename it to ``path``."""
    with open(partial, 'rb') as file:
        os.fsync(file.fileno())
    os.replace(partial, path)


def _write_text(text: str, path: str) -> None:
    with open(f'{path}{PARTIAL}', 'w') as file:
        file.write(text)
    _publish(f'{path}{PARTIAL}', path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` that never loses a complete checkpoint.

    * Each checkpoint is written to ``<name>.partial`` and renamed to
      ``<name>`` once complete; ``last_checkpoint`` is then pointed at it
      (by a rename too), and only then are the checkpoints that
      ``max_keep_ckpts`` retires deleted. A run killed at any moment leaves
      ``last_checkpoint`` naming a complete checkpoint.
    * A write that fails (disk full, a quota, an I/O error) removes its
      partial files and stops the run with a :class:`CheckpointWriteError`.
    * With ``resume=True`` and no ``load_from``, ``before_run`` checks the
      file ``last_checkpoint`` names before mmengine loads it; if it is
      missing or cannot be loaded, or there is no ``last_checkpoint``, it
      points ``last_checkpoint`` at the newest complete checkpoint and logs
      which one.

    Takes ``CheckpointHook``'s arguments; checkpoints on other backends than
    local files are written as ``CheckpointHook`` writes them.
    """

    def before_run(self, runner) -> None:
        super().before_run(runner)
        if runner.cfg.get('resume') and runner.cfg.get('load_from') is None:
            if is_main_process():
                self._point_at_a_complete_checkpoint(runner)
            barrier()  # the other ranks read last_checkpoint after this

    def _point_at_a_complete_checkpoint(self, runner) -> None:
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        named = ''
        if osp.isfile(pointer):
            with open(pointer) as file:
                named = file.read().strip()
        problem = checkpoint_file_problem(named) if named else None
        if named and problem is None:
            return
        found = self._newest_complete_checkpoint(
            {runner.work_dir,
             osp.dirname(named) or runner.work_dir})
        why = (f'{pointer} names {named}, which '
               f'{getattr(problem, "summary", "is missing")}'
               if named else f'there is no {pointer}')
        if found:
            runner.logger.warning(
                f'{why}: resuming from {found} instead, the newest complete '
                f'checkpoint of {osp.dirname(found)}.')
            _write_text(found, pointer)
        elif named:
            raise CheckpointLoadError(
                f'cannot resume: {why}, and the work dir holds no other '
                f'complete checkpoint ({problem}). To train from the start, '
                f'delete {pointer} or run without --resume.')

    def _newest_complete_checkpoint(self, folders) -> Optional[str]:
        """The sound checkpoint of ``folders`` with the highest step in its
        name (``filename_tmpl``), or None."""
        pattern = re.compile(
            re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)'))
        found = [(int(match[1]), osp.join(folder, name)) for folder in folders
                 if osp.isdir(folder) for name in os.listdir(folder)
                 if (match := pattern.fullmatch(name))]
        return next((path for _, path in sorted(found, reverse=True)
                     if checkpoint_file_problem(path) is None), None)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        retired = self._retire(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        try:
            runner.save_checkpoint(
                self.out_dir,
                filename + PARTIAL,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
            if is_main_process():
                _publish(self.last_ckpt + PARTIAL, self.last_ckpt)
                _write_text(self.last_ckpt, pointer)
        except OSError as error:
            for partial in (self.last_ckpt + PARTIAL, pointer + PARTIAL):
                if osp.isfile(partial):
                    os.remove(partial)
            raise self._write_error(pointer, filename, error) from error
        for path in retired if is_main_process() else []:
            if osp.isfile(path):
                os.remove(path)

    def _retire(self, runner, step) -> List[str]:
        """Record ``step`` among the kept checkpoints before saving, as
        ``CheckpointHook`` does; return the paths ``max_keep_ckpts``
        retires."""
        if self.max_keep_ckpts <= 0 or step in self.keep_ckpt_ids:
            return []
        retired = []
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            retired.append(
                osp.join(
                    self.out_dir,
                    self.filename_tmpl.format(self.keep_ckpt_ids.popleft())))
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        return retired

    def _write_error(self, pointer: str, filename: str,
                     error: OSError) -> CheckpointWriteError:
        previous = 'there was no earlier checkpoint'
        if osp.isfile(pointer):
            with open(pointer) as file:
                previous = (f'the last complete checkpoint, {file.read()}, '
                            f'and {pointer} are unchanged')
        advice = 'Fix the cause'
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            free = shutil.disk_usage(self.out_dir).free / 2**20
            advice = (f'Free space in {self.out_dir} ({free:.0f} MiB free '
                      'now) or set a work dir on another disk')
        return CheckpointWriteError(
            error.errno,
            f'training stopped: cannot write checkpoint {filename} into '
            f'{self.out_dir}: {error.strerror or error}. Nothing was lost: '
            f'{previous}, and no partial file is left. {advice}, then '
            'continue with --resume.')
