# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Let ``torch.load(..., weights_only=True)`` read mmengine Runner checkpoints.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True``. The
checkpoints mmengine's Runner writes hold, besides tensors, the message hub's
``HistoryBuffer`` objects: numpy arrays and scalars, and bound methods that
pickle as ``getattr(buffer, 'mean')``. mmengine 0.10.7 loads them with the
default, so resuming and testing a checkpoint fail there. Instead of turning
``weights_only`` off, this allowlists exactly those types; ``getattr`` is
allowed only to fetch a statistics method of a ``HistoryBuffer``.
"""
from pickle import UnpicklingError
from typing import Callable, List, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray


def history_buffer_method(owner, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer:
    the built-in ones and those added with ``register_statistics``
    (``_statistics_methods`` pickles them as ``getattr(HistoryBuffer,
    'mean')``).

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    allowed = {'min', 'max', 'current', 'mean',
               *HistoryBuffer._statistics_methods}
    if owner is not HistoryBuffer or name not in allowed:
        raise UnpicklingError(
            f'refusing getattr({owner!r}, {name!r}) while loading a '
            'checkpoint: only HistoryBuffer statistics methods are allowed')
    return getattr(owner, name)


def _by_name(obj) -> Tuple[Callable, str]:
    """``(obj, 'module.qualname')``: the name pickle writes for ``obj``.

    Registering named entries also keeps them registered when other code
    leaves a ``torch.serialization.safe_globals`` context that names the same
    objects (onedl-mmengine does that around its loads): leaving removes the
    bare objects only.
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


def allow_runner_checkpoint_types() -> None:
    """Allowlist the non-tensor types of Runner checkpoints for
    ``weights_only`` loading (no-op on torch without ``add_safe_globals``)."""
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    torch.serialization.add_safe_globals([
        *_numpy_types(),
        _by_name(HistoryBuffer),
        (history_buffer_method, 'builtins.getattr'),
    ])
