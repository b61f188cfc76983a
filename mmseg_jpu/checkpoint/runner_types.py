# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The types besides tensors that mmengine Runner checkpoints hold.

Runner checkpoints hold the message hub's ``HistoryBuffer`` objects: numpy
arrays and scalars, and methods pickled as ``getattr(HistoryBuffer,
'mean')``. Instead of turning ``weights_only`` off,
:func:`runner_checkpoint_types` lists exactly those types for
``torch.serialization.safe_globals``; ``getattr`` may only fetch a
statistics method of ``HistoryBuffer``. The loader allows them only while
it loads.
"""
from typing import Callable, List, Tuple

import numpy as np
from mmengine.logging import HistoryBuffer

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray

#: The statistics methods a message hub's buffers pickle.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


class DisallowedGetattr(Exception):
    """A pickle asked for ``getattr(owner, name)`` beyond the statistics
    methods of HistoryBuffer (not an ``UnpicklingError``, so that
    ``torch.load`` passes it on unchanged)."""

    def __init__(self, owner, name) -> None:
        super().__init__(f'getattr({owner!r}, {name!r})')


def history_buffer_method(owner, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer."""
    if owner is not HistoryBuffer or name not in HISTORY_BUFFER_STATISTICS:
        raise DisallowedGetattr(owner, name)
    return getattr(owner, name)


def _by_name(obj) -> Tuple[Callable, str]:
    """``(obj, 'module.qualname')``: the name pickle writes for ``obj``."""
    return obj, f'{obj.__module__}.{obj.__qualname__}'


def runner_checkpoint_types() -> List[Tuple[Callable, str]]:
    """Safe-global entries for the non-tensor types of Runner
    checkpoints."""
    dtype_classes = {
        type(np.dtype(code))
        for code in ('b', 'B', 'i2', 'i4', 'i8', 'u2', 'u4', 'u8', 'f2', 'f4',
                     'f8', '?')
    }
    # checkpoints written under numpy 1.x name numpy.core.multiarray
    multiarray_functions = [(function, f'{module}.{function.__name__}')
                            for function in (multiarray._reconstruct,
                                             multiarray.scalar)
                            for module in ('numpy.core.multiarray',
                                           'numpy._core.multiarray')]
    return [
        *multiarray_functions,
        *map(_by_name, [np.ndarray, np.dtype, *dtype_classes, HistoryBuffer]),
        (history_buffer_method, 'builtins.getattr'),
    ]
