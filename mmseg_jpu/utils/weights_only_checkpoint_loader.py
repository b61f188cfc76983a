# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Load checkpoint files with ``weights_only=True``, always.

:func:`load_weights_only` reads a file with ``torch.load(weights_only=True)``
while the types of Runner checkpoints are allowed, and turns torch's errors
into ones that name the file and the cause: missing, truncated or corrupt,
or refused because it would run code. The plugin's tools load with it.

mmengine reads local checkpoints (``load_from``, ``resume``, mmseg's
``tools/test.py``, ``init_model``, ``Pretrained`` init) through
``CheckpointLoader``'s ``''`` scheme. onedl-mmengine's loader retries a
failed weights-only load with ``weights_only=False``, which runs whatever
code a malicious pickle holds, and mmengine 0.10.7's cannot read Runner
checkpoints on torch >= 2.6. :func:`use_weights_only_local_loader` replaces
that scheme, for the whole process, with :func:`load_weights_only`. Nothing
calls it on ``import mmseg_jpu``: a config switches it on with the
``custom_imports`` entry ``'mmseg_jpu.enable_weights_only_loading'``.
"""
import pickle
import re
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import torch
from mmengine.runner import CheckpointLoader

from .runner_checkpoint_types import runner_checkpoint_types

TRUSTED_TYPES = ('tensors, numbers, strings, plain containers, numpy arrays '
                 "and mmengine's HistoryBuffer")


class CheckpointLoadError(RuntimeError):
    """A checkpoint file exists but cannot be loaded."""


class UntrustedCheckpointError(CheckpointLoadError):
    """A checkpoint file would run code (or build arbitrary objects) when
    unpickled, so it is refused."""


def _is_complete_zip(path: Path) -> bool:
    """Whether ``path`` is a zip archive (the format ``torch.save`` writes)
    whose every member is present and matches its checksum."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _refusal_reason(message: str) -> str:
    """What torch's weights-only unpickler refused, e.g. ``global
    posix.system``."""
    found = re.search(r'GLOBAL ([\w.]+)', message)
    if found:
        return f'global {found[1]}'
    found = re.search(r'WeightsUnpickler error:\s*(.+?)\s*(\n\n|$)', message,
                      re.S)
    return found[1] if found else message


def _refused(path: Path, error: pickle.UnpicklingError) -> Exception:
    return UntrustedCheckpointError(
        f'{path}: refused: the file would run code '
        f'({_refusal_reason(str(error))}) - only load files you trust. '
        'Checkpoints are read with torch.load(weights_only=True), which '
        f'accepts {TRUSTED_TYPES}. If you trust this file, re-save its '
        'weights once: torch.save(torch.load(path, weights_only=False)'
        '["state_dict"], new_path).')


def _unreadable(path: Path, error: Exception) -> Exception:
    cause = f'{type(error).__name__}: {error}'.strip()
    if _is_complete_zip(path):
        return CheckpointLoadError(f'cannot load checkpoint {path}: {cause}')
    return CheckpointLoadError(
        f'{path} is truncated or corrupt ({path.stat().st_size} bytes, not a '
        f'complete checkpoint; {cause}). If a run was killed while writing '
        'it, resume from the checkpoint before it: --resume picks the last '
        "complete one, which the work dir's last_checkpoint names.")


@contextmanager
def _runner_checkpoint_types_allowed() -> Iterator[None]:
    """Allow the Runner checkpoint types for ``weights_only`` loading while
    the context lasts, then restore torch's safe globals as they were."""
    before = torch.serialization.get_safe_globals()
    torch.serialization.add_safe_globals(runner_checkpoint_types())
    try:
        yield
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(before)


def load_weights_only(path, map_location: Optional[Any] = None) -> Any:
    """``torch.load(path, weights_only=True)`` with errors that name the
    file and the cause.

    Besides tensors it accepts what Runner checkpoints hold
    (:func:`~.runner_checkpoint_types.runner_checkpoint_types`).

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        UntrustedCheckpointError: If unpickling would run code or build an
            object that is not allowlisted.
        CheckpointLoadError: If the file is truncated, corrupt or cannot be
            loaded for another reason (which the message gives).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        with _runner_checkpoint_types_allowed():
            return torch.load(
                path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if 'Weights only load failed' in str(error):
            raise _refused(path, error) from error
        raise _unreadable(path, error) from error
    except Exception as error:
        raise _unreadable(path, error) from error


def load_from_local_weights_only(filename: str,
                                 map_location: Optional[Any] = None) -> Any:
    """``CheckpointLoader`` scheme for local paths: :func:`load_weights_only`
    under the name mmengine logs (``local_weights_only`` backend)."""
    return load_weights_only(filename, map_location)


def use_weights_only_local_loader() -> None:
    """Make mmengine load every local checkpoint file of this process with
    :func:`load_weights_only`."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_weights_only, force=True)
