# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The types besides tensors that mmengine Runner checkpoints hold.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True``. The
checkpoints mmengine's Runner writes hold, besides tensors, the message hub's
``HistoryBuffer`` objects: numpy arrays and scalars, and methods that pickle
as ``getattr(HistoryBuffer, 'mean')``. mmengine 0.10.7 loads them with the
default, so resuming and testing a checkpoint fail there. Instead of turning
``weights_only`` off, :func:`runner_checkpoint_types` lists exactly those
types for ``torch.serialization``'s safe globals; ``getattr`` is allowed
only to fetch a public method of ``HistoryBuffer``. Nothing is registered
here: the weights-only loader allows them only while it loads.
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
    methods of HistoryBuffer.

    Not a ``pickle.UnpicklingError``, so that ``torch.load`` passes it on
    as it is (it rewraps those into a message of its own).
    """

    def __init__(self, owner, name) -> None:
        super().__init__(f'getattr({owner!r}, {name!r})')
        self.owner, self.name = owner, name


def history_buffer_method(owner, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer
    (pickled as ``getattr(HistoryBuffer, 'mean')``).

    Raises:
        DisallowedGetattr: For any other object or attribute.
    """
    if owner is not HistoryBuffer or name not in HISTORY_BUFFER_STATISTICS:
        raise DisallowedGetattr(owner, name)
    return getattr(owner, name)


def _by_name(obj) -> Tuple[Callable, str]:
    """``(obj, 'module.qualname')``: the name pickle writes for ``obj``.

    Named entries also survive another library leaving a
    ``torch.serialization.safe_globals`` context that names the same bare
    objects (onedl-mmengine does that around its loads).
    """
    return obj, f'{obj.__module__}.{obj.__qualname__}'


def _numpy_types() -> List[Tuple[Callable, str]]:
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
        *map(_by_name, [np.ndarray, np.dtype, *dtype_classes])
    ]


def runner_checkpoint_types() -> List[Tuple[Callable, str]]:
    """Safe-global entries for the non-tensor types of Runner
    checkpoints."""
    return [
        *_numpy_types(),
        _by_name(HistoryBuffer),
        (history_buffer_method, 'builtins.getattr'),
    ]
