# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Carry a trained checkpoint of the source model over to the converted
one: every tensor but the new neck's and a head's whose inputs changed."""
import re
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import torch
from mmengine.config import ConfigDict
from torch import Tensor

from mmseg_jpu.checkpoint import load_weights_only, state_dict_of
from mmseg_jpu.utils.listing import listing
from .levels import build_model, feature_heads
from .model import MMSEG_JPU, JpuifyError

State = Dict[str, Tensor]
LISTED = 8


def source_state(path: Path, model_cfg: ConfigDict) -> State:
    """The state dict of a checkpoint file (read weights-only).

    Raises:
        JpuifyError: If it does not fit ``model_cfg``, naming the missing,
            unexpected and mismatched keys.
    """
    state = state_dict_of(load_weights_only(path, map_location='cpu'))
    expected = build_model(model_cfg).state_dict()
    problems = dict(missing=expected.keys() - state.keys(),
                    unexpected=state.keys() - expected.keys())
    problems['shape mismatch'] = [
        key for key in expected.keys() & state.keys()
        if getattr(state[key], 'shape', None) != expected[key].shape
    ]
    listed = [
        f'{len(keys)} {what}: {listing(sorted(keys), LISTED)}'
        for what, keys in problems.items() if keys
    ]
    if listed:
        raise JpuifyError(f'{path} does not fit the source config (' +
                          '; '.join(listed) +
                          '). Pass the checkpoint trained with this config')
    return state


def carry(state: State,
          source: ConfigDict,
          converted: ConfigDict,
          path: Path,
          seed: int = 0) -> Tuple[State, List[str]]:
    """The converted model's state dict, to be written to ``path``, and the
    summary lines of what was carried; the new modules are initialised from
    ``seed`` (the caller's random state is left as it was)."""
    retrained = tuple(
        re.sub(r'\[(\d+)\]', r'.\1', name[len('model.'):]) + '.'
        for (name, old), (
            _, new) in zip(feature_heads(source), feature_heads(converted))
        if old.get('in_channels') != new.get('in_channels'))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(converted, meta=False)
        for prefix in ('neck.', *retrained):
            model.get_submodule(prefix[:-1]).init_weights()
    theirs, ours = source.get('neck') or {}, converted.neck
    fused = tuple(theirs.get('in_channels', ()))[theirs.get('start_level', 0):]
    if theirs.get('type') == MMSEG_JPU and fused == tuple(
            ours.in_channels)[ours.start_level:]:  # the same levels fused
        state = mmseg_jpu_weights(state, ours.width)
    target = model.state_dict()
    carried = {
        key: tensor
        for key, tensor in state.items() if key in target
        and not key.startswith(retrained) and tensor.shape == target[key].shape
    }
    new = target.keys() - carried.keys()
    dropped = state.keys() - carried.keys()
    indent = ' ' * 12
    lines = [
        f'checkpoint  {path}: {len(carried)} tensors carried from the '
        'source checkpoint', f'{indent}{len(new)} new (freshly '
        f'initialised): {listing(_modules(new), LISTED)}'
        if new else f'{indent}none new'
    ]
    if dropped:
        lines.append(f'{indent}{len(dropped)} not carried: '
                     f'{listing(_modules(dropped), LISTED)}')
    return {**target, **carried}, lines


def mmseg_jpu_weights(state: State, width: int) -> State:
    """``state`` with the tensors of an mmseg ``JPU`` neck of
    ``mid_channels`` ``width`` in our layout: its layers are ours wrapped in
    one more ``Sequential``, its concatenation is shallowest first, ours
    deepest first."""
    converted = {}
    for key, tensor in state.items():
        key = re.sub(r'^neck\.(conv_layers|dilation_layers)\.(\d+)\.0\.',
                     r'neck.\1.\2.', key)
        dim = (0 if '.depthwise_conv.' in key else
               1 if key.endswith('pointwise_conv.conv.weight') else None)
        if key.startswith('neck.dilation_layers.') and dim is not None \
                and tensor.dim() > 0:
            tensor = torch.cat(tensor.split(width, dim=dim)[::-1], dim=dim)
        converted[key] = tensor
    return converted


def _modules(keys: Iterable[str]) -> List[str]:
    return sorted({'.'.join(key.split('.')[:3]) + '.*' for key in keys})
