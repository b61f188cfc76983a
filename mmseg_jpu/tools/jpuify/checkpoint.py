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
from .model import MMSEG_JPU, JpuifyError, fused_levels

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
    mismatched = [
        f'{key} {tuple(getattr(state[key], "shape", ()))} '
        f'(config: {tuple(value.shape)})' for key, value in expected.items()
        if key in state and getattr(state[key], 'shape', None) != value.shape
    ]
    problems = dict(missing=expected.keys() - state.keys(),
                    unexpected=state.keys() - expected.keys())
    problems['shape mismatch'] = mismatched
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
    found = {
        key: (key, tensor)
        for key, tensor in state.items() if not key.startswith(retrained)
    }
    if _same_mmseg_jpu(source, converted):
        found.update(mmseg_jpu_weights(state, converted.neck.width))
    target = model.state_dict()
    sources = {key: found[key] for key in target if key in found}
    # not load_state_dict's missing keys: BN fills num_batches_tracked in
    carried = {key: tensor for key, (_, tensor) in sources.items()}
    model.load_state_dict(carried, strict=False)
    new = target.keys() - sources.keys()
    dropped = state.keys() - {used for used, _ in sources.values()}
    indent = ' ' * 12
    lines = [
        f'checkpoint  {path}: {len(sources)} tensors carried from the '
        'source checkpoint', f'{indent}{len(new)} new (freshly '
        f'initialised): {listing(_modules(new), LISTED)}'
        if new else f'{indent}none new'
    ]
    if dropped:
        lines.append(f'{indent}{len(dropped)} not carried: '
                     f'{listing(_modules(dropped), LISTED)}')
    return model.state_dict(), lines


def mmseg_jpu_weights(state: State,
                      width: int,
                      prefix: str = 'neck.') -> Dict[str, Tuple[str, Tensor]]:
    """Our key -> (source key, tensor) for the tensors of an mmseg ``JPU``
    of ``mid_channels`` ``width``: its layers are ours wrapped in one more
    ``Sequential``, its concatenation is shallowest first, ours deepest
    first."""
    converted = {}
    for key, tensor in state.items():
        if not key.startswith(prefix):
            continue
        ours = re.sub(r'^(conv_layers|dilation_layers)\.(\d+)\.0\.', r'\1.\2.',
                      key[len(prefix):])
        dim = (0 if '.depthwise_conv.' in ours else
               1 if ours.endswith('pointwise_conv.conv.weight') else None)
        if ours.startswith('dilation_layers.') and dim is not None \
                and tensor.dim() > 0:
            tensor = torch.cat(tensor.split(width, dim=dim)[::-1], dim=dim)
        converted[prefix + ours] = (key, tensor)
    return converted


def _same_mmseg_jpu(source: ConfigDict, converted: ConfigDict) -> bool:
    neck = source.get('neck')
    if not isinstance(neck, dict) or neck.get('type') != MMSEG_JPU:
        return False
    start, end = fused_levels(neck, len(neck.in_channels))
    ours = converted.neck
    return (tuple(neck.in_channels)[start:end] == tuple(
        ours.in_channels)[ours.start_level:])


def _modules(keys: Iterable[str]) -> List[str]:
    return sorted({'.'.join(key.split('.')[:3]) + '.*' for key in keys})
