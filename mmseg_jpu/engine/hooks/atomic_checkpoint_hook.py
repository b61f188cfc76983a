# Copyright (c) mmseg_jpu contributors. All rights reserved.
import errno
import os
import os.path as osp
import re
import shutil
from typing import List, Optional, Tuple

from mmengine.dist import barrier, is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseg.registry import HOOKS
from ...checkpoint import (CheckpointLoadError,
                                                     checkpoint_file_problem)

#: the file in the work dir that names the checkpoint ``--resume`` loads.
LAST_CHECKPOINT = 'last_checkpoint'
PARTIAL = '.partial'


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (e.g. the disk is full); the
    previous checkpoint and ``last_checkpoint`` are left as they were."""


def _replace_with(text: str, path: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    partial = f'{path}{PARTIAL}'
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


def _remove(path: str) -> None:
    if osp.isdir(path):  # checkpoints saved by DeepSpeed are folders
        shutil.rmtree(path)
    elif osp.isfile(path):
        os.remove(path)


def _problem_text(path: str, problem: Exception) -> str:
    summary = getattr(problem, 'summary', 'is missing')
    return f'{path}, which {summary}'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` that never loses a complete checkpoint:
    not when the run is killed while writing, not when the disk is full,
    not when ``last_checkpoint`` names a file that cannot be loaded.

    * Writing: mmengine's hook first deletes the checkpoint that
      ``max_keep_ckpts`` retires, then writes the new one in place. A run
      killed while writing (SIGKILL, out of memory, preemption) leaves a
      truncated file, and with ``max_keep_ckpts=1`` no complete checkpoint
      at all. This hook writes each checkpoint to ``<name>.partial``,
      renames it to ``<name>`` once complete, then points
      ``last_checkpoint`` at it (also atomically), and only then deletes
      retired checkpoints. So ``last_checkpoint`` always names a complete
      file, and ``--resume`` loses at most the iterations since it.
    * A write that fails (``ENOSPC``: disk full, a quota, an I/O error)
      removes its partial files and stops the run with a
      :class:`CheckpointWriteError` that says so: the previous checkpoint
      and ``last_checkpoint`` are as they were.
    * ``--resume`` (``resume=True`` without ``load_from``): before mmengine
      reads ``last_checkpoint`` (in ``before_run``), the hook checks the
      file it names. If it is missing or cannot be loaded (truncated,
      corrupt, ...), or if there is no ``last_checkpoint`` but there are
      checkpoints, ``last_checkpoint`` is pointed at the newest complete
      checkpoint of the work dir, and the log says which one is used.

    Accepts the same arguments as ``CheckpointHook``; checkpoints saved to
    other backends than local files are written as ``CheckpointHook``
    writes them. Add it to a config with ``default_hooks =
    dict(checkpoint=dict(type='AtomicCheckpointHook', ...))``.
    """

    def before_run(self, runner) -> None:
        super().before_run(runner)
        if runner.cfg.get('resume') and runner.cfg.get('load_from') is None:
            if is_main_process():
                self._point_at_a_complete_checkpoint(runner)
            barrier()  # the other ranks read last_checkpoint after this

    def _point_at_a_complete_checkpoint(self, runner) -> None:
        """Make ``last_checkpoint`` name a checkpoint that loads, if the
        work dir has one."""
        pointer = osp.join(runner.work_dir, LAST_CHECKPOINT)
        named = None
        if osp.isfile(pointer):
            with open(pointer) as file:
                named = file.read().strip() or None
        problem = (checkpoint_file_problem(named) if named else
                   FileNotFoundError(f'{pointer} names no checkpoint'))
        if named and problem is None:
            return
        folders = {runner.work_dir, osp.dirname(named) if named else ''}
        found = self._newest_complete_checkpoint(sorted(filter(None,
                                                               folders)))
        if found is None and named is None:
            return  # nothing to resume from: mmengine trains from the start
        if found is None:
            raise CheckpointLoadError(
                f'cannot resume: {pointer} names '
                f'{_problem_text(named, problem)}, and the work dir holds no '
                f'other complete checkpoint ({problem}). To train from the '
                f'start, delete {pointer} or run without --resume.')
        why = (f'{pointer} names {_problem_text(named, problem)}'
               if named else f'there is no {pointer}')
        runner.logger.warning(
            f'{why}: resuming from {found} instead, the newest complete '
            f'checkpoint of {osp.dirname(found)}.')
        _replace_with(found, pointer)

    def _newest_complete_checkpoint(self,
                                    folders: List[str]) -> Optional[str]:
        """The checkpoint named by ``filename_tmpl`` with the highest step in
        ``folders`` that is sound, or None."""
        pattern = re.compile(
            re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)') + '$')
        candidates: List[Tuple[int, str]] = []
        for folder in folders:
            if not osp.isdir(folder):
                continue
            for name in os.listdir(folder):
                match = pattern.match(name)
                if match:
                    candidates.append((int(match[1]), osp.join(folder, name)))
        for _, path in sorted(candidates, reverse=True):
            if checkpoint_file_problem(path) is None:
                return path
        return None

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        retired = self._retire_outdated(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        pointer = osp.join(runner.work_dir, LAST_CHECKPOINT)
        partials = [f'{self.last_ckpt}{PARTIAL}', f'{pointer}{PARTIAL}']
        try:
            runner.save_checkpoint(
                self.out_dir,
                f'{filename}{PARTIAL}',
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
            if not is_main_process():
                return
            _publish(partials[0], self.last_ckpt)
            _replace_with(self.last_ckpt, pointer)
        except BaseException as error:
            for partial in partials:
                _remove(partial)
            if isinstance(error, OSError):
                raise self._write_error(runner, filename, error) from error
            raise
        for path in retired:
            _remove(path)

    def _write_error(self, runner, filename: str,
                     error: OSError) -> CheckpointWriteError:
        pointer = osp.join(runner.work_dir, LAST_CHECKPOINT)
        if osp.isfile(pointer):
            with open(pointer) as file:
                previous = (f'the last complete checkpoint, {file.read()}, '
                            f'and {pointer} are unchanged')
        else:
            previous = 'there was no earlier checkpoint'
        free = shutil.disk_usage(self.out_dir).free / 2**20
        space = (f' Free space in {self.out_dir} ({free:.0f} MiB free now) or '
                 'set a work dir on another disk, then continue with '
                 '--resume.' if error.errno in (errno.ENOSPC,
                                                errno.EDQUOT) else
                 ' Fix the cause, then continue with --resume.')
        return CheckpointWriteError(
            error.errno,
            f'training stopped: cannot write checkpoint {filename} into '
            f'{self.out_dir}: {error.strerror or error}. Nothing was lost: '
            f'{previous}, and no partial file is left.{space}')

    def _retire_outdated(self, runner, step) -> List[str]:
        """Record ``step`` among the kept checkpoints (as ``CheckpointHook``
        does, before saving, so that the checkpoint records itself) and
        return the paths that ``max_keep_ckpts`` retires."""
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
