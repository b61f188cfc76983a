# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Load checkpoint files with ``weights_only=True``, always.

:func:`load_weights_only` reads a file with ``torch.load(weights_only=True)``
while the types of Runner checkpoints are allowed. When it cannot, it reads
the file's bytes and raises the error of the cause
(``checkpoint_errors``): not a checkpoint, truncated, corrupt, a pickle
that needs globals weights-only loading refuses (named), a pickle protocol
weights-only loading cannot read, or a checkpoint of the other kind (an
official FastFCN one given to mmseg, an mmseg one given to the converter).
The plugin's tools load with it.

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
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List, Optional

import torch
from mmengine.runner import CheckpointLoader

from .checkpoint_errors import (CheckpointKindError, CheckpointLoadError,
                                CorruptCheckpointError, NotACheckpointError,
                                PickleProtocolError, TruncatedCheckpointError,
                                UntrustedCheckpointError)
from .checkpoint_file_inspection import (ALLOWED_TYPES, file_problem,
                                         unloadable_cause, zip_damage)
from .runner_checkpoint_types import (HISTORY_BUFFER_STATISTICS,
                                      DisallowedGetattr,
                                      runner_checkpoint_types)

__all__ = [
    'CheckpointKindError', 'CheckpointLoadError', 'CorruptCheckpointError',
    'NotACheckpointError', 'PickleProtocolError', 'TruncatedCheckpointError',
    'UntrustedCheckpointError', 'checkpoint_file_problem',
    'load_weights_only', 'use_weights_only_local_loader'
]


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


def load_weights_only(path,
                      map_location: Optional[Any] = None,
                      official_fastfcn: bool = False) -> Any:
    """``torch.load(path, weights_only=True)`` with errors that name the
    file and the cause.

    Besides tensors it accepts what Runner checkpoints hold
    (:func:`~.runner_checkpoint_types.runner_checkpoint_types`). A zip
    checkpoint is also checked against its CRC-32 checksums, which torch
    does not check.

    Args:
        path: The checkpoint file.
        map_location: As ``torch.load``'s.
        official_fastfcn: Whether the file must be an official FastFCN
            checkpoint (the converter's input). By default an official
            FastFCN checkpoint is refused instead: mmseg would load none
            of its weights.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        CheckpointLoadError: If the file cannot be loaded; its subclass
            names the cause: ``NotACheckpointError``,
            ``TruncatedCheckpointError``, ``CorruptCheckpointError``,
            ``UntrustedCheckpointError`` (naming the globals),
            ``PickleProtocolError`` or ``CheckpointKindError``.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    with _runner_checkpoint_types_allowed():
        try:
            checkpoint = torch.load(
                path, map_location=map_location, weights_only=True)
        except DisallowedGetattr as error:
            raise _disallowed_getattr(path, error) from error
        except Exception as error:
            raise unloadable_cause(path, error) from error
    damage = zip_damage(path)
    if damage:
        raise damage
    _check_kind(path, checkpoint, official_fastfcn)
    return checkpoint


def checkpoint_file_problem(path) -> Optional[Exception]:
    """What keeps the checkpoint file at ``path`` from loading, read from its
    bytes without unpickling: a ``FileNotFoundError`` or the
    ``CheckpointLoadError`` of the cause; None if its structure is sound.

    Cheaper than loading: it reads the file once and unpickles nothing.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        return FileNotFoundError(f'checkpoint file not found: {path}')
    with _runner_checkpoint_types_allowed():
        return file_problem(path)


def _disallowed_getattr(path: Path,
                        error: DisallowedGetattr) -> UntrustedCheckpointError:
    return UntrustedCheckpointError(
        f'{path}: refused: unpickling it would call {error}; weights-only '
        "loading allows getattr only for mmengine's HistoryBuffer "
        f'statistics methods ({", ".join(HISTORY_BUFFER_STATISTICS)}) and '
        f'accepts {ALLOWED_TYPES}. Only load files you trust.')


def _state_dict_keys(checkpoint: Any) -> List[str]:
    """The keys of the checkpoint's state dict, without ``module.``."""
    if not isinstance(checkpoint, dict):
        return []
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        return []
    return [
        re.sub(r'^module\.', '', key) for key in state_dict
        if isinstance(key, str)
    ]


def _starts(keys: List[str], *prefixes: str) -> bool:
    return any(key.startswith(prefixes) for key in keys)


def _check_kind(path: Path, checkpoint: Any, official_fastfcn: bool) -> None:
    """Refuse an official FastFCN checkpoint where an mmseg one is expected,
    and an mmseg one where an official one is."""
    keys = _state_dict_keys(checkpoint)
    if not official_fastfcn and _starts(keys, 'pretrained.') and _starts(
            keys, 'jpu.', 'head.'):
        raise CheckpointKindError(
            f'{path} is an official FastFCN checkpoint (keys pretrained.*, '
            'jpu.*, head.*), not an mmseg one: mmseg would load none of its '
            'weights, whose modules have other names. Convert it first: '
            f'python tools/convert_fastfcn.py {path} CONVERTED.pth '
            '--config-out CONVERTED_CONFIG.py, then use CONVERTED.pth with '
            'CONVERTED_CONFIG.py.')
    if official_fastfcn and _starts(keys, 'decode_head.'):
        raise CheckpointKindError(
            f'{path} is an mmseg checkpoint (keys backbone.*, decode_head.*), '
            'not an official FastFCN one: it needs no conversion. Use it '
            "directly with its config: mmseg's tools/test.py CONFIG "
            f'{path}, tools/infer.py IMAGE CONFIG {path} --out mask.png, or '
            f"load_from = '{path}' in a config.")


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
