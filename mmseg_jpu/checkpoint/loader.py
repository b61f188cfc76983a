# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Load checkpoint files with ``weights_only=True``, always: mmengine's
local ``CheckpointLoader`` scheme retries with ``weights_only=False`` on
onedl-mmengine, running any code a pickle holds, and cannot read Runner
checkpoints on mmengine 0.10.7 with torch >= 2.6."""
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from .errors import CheckpointKindError, CheckpointLoadError
from .file_problems import file_problem, refusal

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray

#: what Runner checkpoints pickle as getattr(HistoryBuffer, 'mean')
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
DTYPES = ('b', 'B', 'i2', 'i4', 'i8', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', '?')


class _DisallowedGetattr(Exception):
    """Not an ``UnpicklingError``, which ``torch.load`` rewrites."""


def _history_buffer_method(owner, name: str) -> Callable:
    if owner is not HistoryBuffer or name not in HISTORY_BUFFER_STATISTICS:
        raise _DisallowedGetattr(f'getattr({owner!r}, {name!r})')
    return getattr(owner, name)


def runner_checkpoint_types() -> List[Tuple[Callable, str]]:
    """``torch.serialization.safe_globals`` entries for what Runner
    checkpoints hold besides tensors: numpy arrays and scalars (under both
    numpy module names) and the message hub's ``HistoryBuffer``."""
    types = [np.ndarray, np.dtype, HistoryBuffer]
    types += {type(np.dtype(code)) for code in DTYPES}
    return [
        *((obj, f'{obj.__module__}.{obj.__qualname__}') for obj in types),
        *((function, f'{module}.{function.__name__}')
          for function in (multiarray._reconstruct, multiarray.scalar)
          for module in ('numpy.core.multiarray', 'numpy._core.multiarray')),
        (_history_buffer_method, 'builtins.getattr'),
    ]


def load_weights_only(path,
                      map_location: Optional[Any] = None,
                      official_fastfcn: bool = False) -> Any:
    """``torch.load(path, weights_only=True)`` with the types of Runner
    checkpoints allowed and a zip file's CRC-32 checksums checked.

    Args:
        path: The checkpoint file.
        map_location: As ``torch.load``'s.
        official_fastfcn: Whether the file must be an official FastFCN
            checkpoint (the converter's input) rather than an mmseg one.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        CheckpointLoadError: If the file cannot be loaded; its subclass
            names the cause (see :mod:`.errors`).
    """
    path = _existing(path)
    with torch.serialization.safe_globals(runner_checkpoint_types()):
        try:
            checkpoint = torch.load(
                path, map_location=map_location, weights_only=True)
        except _DisallowedGetattr as error:
            raise refusal(path, str(error)) from error
        except Exception as error:
            first_line = (str(error).strip().splitlines() or [''])[0]
            raise file_problem(path) or CheckpointLoadError(
                f'{path} cannot be loaded: {type(error).__name__}: '
                f'{first_line}') from error
        problem = file_problem(path)  # torch does not check CRC-32
    if problem:
        raise problem
    _check_kind(path, checkpoint, official_fastfcn)
    return checkpoint


def checkpoint_file_problem(path) -> Optional[Exception]:
    """Why the checkpoint file at ``path`` cannot be loaded, read without
    unpickling it (a ``FileNotFoundError`` or a ``CheckpointLoadError``);
    None if it looks sound."""
    try:
        path = _existing(path)
    except FileNotFoundError as error:
        return error
    with torch.serialization.safe_globals(runner_checkpoint_types()):
        return file_problem(path)


def _existing(path) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    return path


def state_dict_of(checkpoint: Any) -> Dict[str, Any]:
    """The state dict of a Runner checkpoint or a bare state dict, without
    ``module.`` (what ``DataParallel`` adds); empty if there is none."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else None
    if not isinstance(state, dict):
        return {}
    return {re.sub(r'^module\.', '', str(k)): v for k, v in state.items()}


def _check_kind(path: Path, checkpoint: Any, official_fastfcn: bool) -> None:
    """Refuse an official FastFCN checkpoint where an mmseg one is expected,
    and the reverse."""
    prefixes = {key.split('.', 1)[0] for key in state_dict_of(checkpoint)}
    official = 'pretrained' in prefixes and prefixes & {'jpu', 'head'}
    if not official_fastfcn and official:
        raise CheckpointKindError(
            f'{path} is an official FastFCN checkpoint (keys pretrained.*, '
            'jpu.*, head.*), not an mmseg one: mmseg would load none of its '
            'weights, whose modules have other names. Convert it first: '
            f'.venv/bin/python tools/convert_fastfcn.py {path} CONVERTED.pth '
            '--config-out CONVERTED_CONFIG.py, then use CONVERTED.pth with '
            'CONVERTED_CONFIG.py.')
    if official_fastfcn and 'decode_head' in prefixes:
        raise CheckpointKindError(
            f'{path} is an mmseg checkpoint (keys backbone.*, decode_head.*), '
            'not an official FastFCN one: it needs no conversion. Use it '
            'directly with its config: .venv/bin/mim test mmseg CONFIG '
            f'--checkpoint {path}, .venv/bin/python tools/infer.py IMAGE '
            f'CONFIG {path} --out mask.png, or '
            f"load_from = '{path}' in a config.")


def load_from_local_weights_only(filename: str,
                                 map_location: Optional[Any] = None) -> Any:
    """The ``CheckpointLoader`` scheme for local paths (mmengine logs
    ``local_weights_only`` from its name)."""
    return load_weights_only(filename, map_location)


def use_weights_only_local_loader() -> None:
    """Make mmengine load every local checkpoint file of this process with
    :func:`load_weights_only`."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_weights_only, force=True)
