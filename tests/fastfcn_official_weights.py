# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Deterministic synthetic weights in the official FastFCN state-dict layout.

The rule of ``tests/data/fastfcn_golden`` (recorded by running the official
code): one CPU generator seeded with the case's seed visits the manifest's
keys in order; every floating-point entry draws ``torch.rand(shape)`` once
and becomes ``lo + (hi - lo) * u`` (computed in float64, rounded once to the
entry's dtype); integer entries are zeros and draw nothing. ``[lo, hi)`` is
the first match of:

=========================================  =========================
running_mean                               [-0.1, 0.1)
running_var after the Encoding layer       [75, 125)
  (key contains ``encmodule.encoding.4.``)
other running_var                          [0.75, 1.25)
scale (Encoding)                           [-0.003, -0.001)
codewords (Encoding)                       [-0.5, 0.5)
4-D weight                                 +-sqrt(6 / fan_in)
2-D weight                                 +-sqrt(3 / fan_in)
1-D weight of a ``bn3``                    [0.1, 0.3)
other 1-D weight                           [0.8, 1.2)
1-D bias                                   [-0.1, 0.1)
=========================================  =========================
"""
import hashlib
import json
import math
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Tuple

import torch

DTYPES = {'float32': torch.float32, 'int64': torch.int64}


def value_range(key: str, shape: Tuple[int, ...]) -> Tuple[float, float]:
    name = key.rsplit('.', 1)[-1]
    fan_in = math.prod(shape[1:])
    if name == 'running_mean':
        return -0.1, 0.1
    if name == 'running_var':
        return (75.0, 125.0) if 'encmodule.encoding.4.' in key else (0.75,
                                                                      1.25)
    if name == 'scale':
        return -0.003, -0.001
    if name == 'codewords':
        return -0.5, 0.5
    if len(shape) in (2, 4):
        bound = math.sqrt((6.0 if len(shape) == 4 else 3.0) / fan_in)
        return -bound, bound
    if len(shape) == 1 and name == 'weight':
        return (0.1, 0.3) if key.endswith('bn3.weight') else (0.8, 1.2)
    if len(shape) == 1 and name == 'bias':
        return -0.1, 0.1
    raise ValueError(f'no weight rule for {key} {shape}')


def official_state_dict(manifest: Path, seed: int) -> Dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    state_dict = OrderedDict()
    for key, shape, dtype_name in json.loads(Path(manifest).read_text()):
        shape, dtype = tuple(shape), DTYPES[dtype_name]
        if not dtype.is_floating_point:
            state_dict[key] = torch.zeros(shape, dtype=dtype)
            continue
        low, high = value_range(key, shape)
        uniform = torch.rand(shape, generator=generator, dtype=torch.float32)
        state_dict[key] = (uniform.double() * (high - low) + low).to(dtype)
    return state_dict


def official_checkpoint(manifest: Path, seed: int) -> dict:
    """The dict the official ``train.py`` saves."""
    return dict(
        epoch=0,
        state_dict=official_state_dict(manifest, seed),
        optimizer=dict(state={}, param_groups=[]),
        best_pred=0.0)


def state_dict_digest(state_dict: Dict[str, torch.Tensor]) -> str:
    """sha256 over key, dtype, shape and bytes of every entry, in order."""
    digest = hashlib.sha256()
    for key, value in state_dict.items():
        value = value.detach().cpu().contiguous()
        digest.update(key.encode())
        digest.update(str(value.dtype).encode())
        digest.update(str(tuple(value.shape)).encode())
        if value.numel():
            digest.update(value.view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
