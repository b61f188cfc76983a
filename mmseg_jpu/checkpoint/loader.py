# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Load checkpoint files with ``weights_only=True``, always: mmengine's
local ``CheckpointLoader`` scheme retries with ``weights_only=False`` on
onedl-mmengine, running any code a pickle holds, and cannot read Runner
checkpoints on mmengine 0.10.7 with torch >= 2.6."""
from pathlib import Path
from typing import Any, Optional

import torch
from mmengine.runner import CheckpointLoader

from .errors import CheckpointLoadError, UntrustedCheckpointError
from .file_problems import ALLOWED_TYPES, file_problem
from .kind import check_kind
from .runner_types import (HISTORY_BUFFER_STATISTICS, DisallowedGetattr,
                           runner_checkpoint_types)


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
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    with torch.serialization.safe_globals(runner_checkpoint_types()):
        try:
            checkpoint = torch.load(
                path, map_location=map_location, weights_only=True)
        except DisallowedGetattr as error:
            raise UntrustedCheckpointError(
                f'{path}: refused: unpickling it would call {error}; '
                "weights-only loading allows getattr only for mmengine's "
                'HistoryBuffer statistics methods '
                f'({", ".join(HISTORY_BUFFER_STATISTICS)}) and accepts '
                f'{ALLOWED_TYPES}. Only load files you trust.') from error
        except Exception as error:
            first_line = (str(error).strip().splitlines() or [''])[0]
            raise file_problem(path) or CheckpointLoadError(
                f'{path} cannot be loaded: {type(error).__name__}: '
                f'{first_line}') from error
        problem = file_problem(path)  # torch does not check CRC-32
    if problem:
        raise problem
    check_kind(path, checkpoint, official_fastfcn)
    return checkpoint


def checkpoint_file_problem(path) -> Optional[Exception]:
    """Why the checkpoint file at ``path`` cannot be loaded, read without
    unpickling it (a ``FileNotFoundError`` or a ``CheckpointLoadError``);
    None if it looks sound."""
    path = Path(path).expanduser()
    if not path.is_file():
        return FileNotFoundError(f'checkpoint file not found: {path}')
    with torch.serialization.safe_globals(runner_checkpoint_types()):
        return file_problem(path)


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
