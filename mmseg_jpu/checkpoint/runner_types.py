# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The types besides tensors that mmengine Runner checkpoints hold: numpy
arrays and scalars, and the message hub's ``HistoryBuffer``, whose
statistics methods are pickled as ``getattr(HistoryBuffer, 'mean')``."""
from typing import Callable, List, Tuple

import numpy as np
from mmengine.logging import HistoryBuffer

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray

HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
DTYPES = ('b', 'B', 'i2', 'i4', 'i8', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', '?')


class DisallowedGetattr(Exception):
    """``getattr`` beyond HistoryBuffer's statistics methods (not an
    ``UnpicklingError``, which ``torch.load`` rewrites)."""


def history_buffer_method(owner, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer."""
    if owner is not HistoryBuffer or name not in HISTORY_BUFFER_STATISTICS:
        raise DisallowedGetattr(f'getattr({owner!r}, {name!r})')
    return getattr(owner, name)


def runner_checkpoint_types() -> List[Tuple[Callable, str]]:
    """``torch.serialization.safe_globals`` entries for those types, with
    the names pickle writes for them (numpy 1.x: ``numpy.core``)."""
    types = [np.ndarray, np.dtype, HistoryBuffer]
    types += {type(np.dtype(code)) for code in DTYPES}
    return [
        *((obj, f'{obj.__module__}.{obj.__qualname__}') for obj in types),
        *((function, f'{module}.{function.__name__}')
          for function in (multiarray._reconstruct, multiarray.scalar)
          for module in ('numpy.core.multiarray', 'numpy._core.multiarray')),
        (history_buffer_method, 'builtins.getattr'),
    ]
