# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Carry a trained checkpoint of the source model over to the converted one.

Dilation does not change a layer's parameters, so every tensor of the
backbone and of the heads keeps its meaning and is carried unchanged (the
stride-32 backbones have the keys of mmseg's dilated classes). Freshly
initialised are the new ``JointPyramidUpsampling`` (unless the source had
mmseg's own ``JPU`` fusing the same levels: its tensors are then re-keyed
and re-ordered by :mod:`.mmseg_jpu_neck`) and a head whose input channels
changed (OCRNet's first head, moved to the JPU feature).

The checkpoint is read with ``torch.load(weights_only=True)`` and must fit
the source config exactly (keys and shapes); the written one holds the whole
converted model, so mmseg's ``tools/test.py`` evaluates it and a training
run starts from it through ``load_from``.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import torch
from mmengine.config import ConfigDict

from mmseg_jpu.checkpoint import load_weights_only, state_dict_of
from .errors import JpuifyError
from .heads import feature_heads, module_prefix
from .levels import build_model
from .mmseg_jpu_neck import (DEFAULTS, MMSEG_JPU, fused_levels,
                             mmseg_jpu_weights)

State = Dict[str, torch.Tensor]
LISTED_KEYS = 8


@dataclass
class CarryReport:
    """What happened to each tensor."""
    path: Optional[Path] = None
    carried: List[str] = field(default_factory=list)
    rekeyed: Dict[str, str] = field(default_factory=dict)
    new: List[str] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)

    def lines(self) -> List[str]:
        lines = [f'checkpoint  {self.path}: {len(self.carried)} tensors '
                 f'carried from the source checkpoint']
        if self.rekeyed:
            lines.append(f'            {len(self.rekeyed)} of them from '
                         "mmseg's JPU, re-keyed for JointPyramidUpsampling")
        lines.append(f'            {len(self.new)} new (freshly '
                     f'initialised): {_listing(_groups(self.new))}'
                     if self.new else '            none new')
        if self.dropped:
            lines.append(f'            {len(self.dropped)} not carried: '
                         f'{_listing(_groups(self.dropped))}')
        return lines


def read_state_dict(path: Path) -> State:
    """The state dict of a checkpoint file (a Runner checkpoint or a bare
    state dict), read weights-only, without a ``module.`` prefix."""
    state = state_dict_of(load_weights_only(path, map_location='cpu'))
    if not state or not all(torch.is_tensor(v) for v in state.values()):
        raise JpuifyError(f'{path} holds no state dict of tensors (a '
                          "checkpoint saved by mmengine's Runner or "
                          'torch.save(model.state_dict()) is expected)')
    return state


def check_fits(state: State, model_cfg: ConfigDict, path: Path) -> None:
    """Require the keys and shapes of the source config's model.

    Raises:
        JpuifyError: Naming the missing, unexpected and mismatched keys.
    """
    expected = build_model(model_cfg).state_dict()
    problems = []
    missing = set(expected) - set(state)
    unexpected = set(state) - set(expected)
    mismatched = [
        f'{k} {tuple(state[k].shape)} (config: {tuple(expected[k].shape)})'
        for k in sorted(set(expected) & set(state))
        if state[k].shape != expected[k].shape
    ]
    for what, keys in (('missing', missing), ('unexpected', unexpected),
                       ('shape mismatch', mismatched)):
        if keys:
            problems.append(f'{len(keys)} {what}: {_listing(keys)}')
    if problems:
        raise JpuifyError(f'{path} does not fit the source config ('
                          + '; '.join(problems) +
                          '). Pass the checkpoint trained with this config')


def carry(state: State,
          source: ConfigDict,
          converted: ConfigDict,
          seed: int = 0) -> Tuple[State, CarryReport]:
    """The converted model's state dict: the carried tensors, and the new
    modules as a fresh model initialises them, from the random ``seed``
    (the caller's random state is left as it was)."""
    retrained = _heads_with_new_input(source, converted)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(converted, meta=False)
        for prefix in ('neck.', *retrained):  # their own init, as in training
            model.get_submodule(prefix[:-1]).init_weights()
    target = model.state_dict()
    sources = {
        key: (key, state[key])
        for key in target if key in state and not key.startswith(retrained)
    }
    if _same_mmseg_jpu(source, converted):
        width = source.neck.get('mid_channels', DEFAULTS['mid_channels'])
        sources.update(mmseg_jpu_weights(state, width))
    report = CarryReport()
    for key, value in target.items():
        if key not in sources:
            report.new.append(key)
            continue
        source_key, tensor = sources[key]
        if tensor.shape != value.shape:
            raise JpuifyError(
                f'{source_key} {tuple(tensor.shape)} cannot be carried to '
                f'{key} {tuple(value.shape)}: please report this config')
        target[key] = tensor.clone()
        report.carried.append(key)
        if source_key != key:
            report.rekeyed[key] = source_key
    used = {source_key for source_key, _ in sources.values()}
    report.dropped = sorted(set(state) - used)
    return target, report


def write_checkpoint(state: State, path: Path, meta: dict) -> None:
    """Save ``{'meta', 'state_dict'}`` to ``path``, complete or not at all."""
    partial = path.with_name(path.name + '.partial')
    torch.save(dict(meta=meta, state_dict=state), partial)
    os.replace(partial, path)


def _heads_with_new_input(source: ConfigDict,
                          converted: ConfigDict) -> Tuple[str, ...]:
    """State-dict prefixes of the heads whose input channels changed
    (OCRNet's FCN head moved to the JPU feature): their tensors lost their
    meaning and are initialised afresh."""
    return tuple(
        module_prefix(name) for (name, old), (_, new) in zip(
            feature_heads(source), feature_heads(converted))
        if old.get('in_channels') != new.get('in_channels'))


def _same_mmseg_jpu(source: ConfigDict, converted: ConfigDict) -> bool:
    """Whether the source's mmseg ``JPU`` fuses the levels ours fuses."""
    neck = source.get('neck')
    if not isinstance(neck, dict) or neck.get('type') != MMSEG_JPU:
        return False
    start, end = fused_levels(neck, len(neck.in_channels))
    ours = converted.neck
    return (tuple(neck.in_channels)[start:end] == tuple(
        ours.in_channels)[ours.start_level:])


def _groups(keys: Iterable[str]) -> List[str]:
    """Keys grouped by module: ``neck.conv_layers.0.*`` and the like."""
    groups = []
    for key in keys:
        group = '.'.join(key.split('.')[:3]) + '.*'
        if group not in groups:
            groups.append(group)
    return groups


def _listing(keys: Iterable[str]) -> str:
    keys = sorted(keys)
    more = (f' and {len(keys) - LISTED_KEYS} more'
            if len(keys) > LISTED_KEYS else '')
    return ', '.join(keys[:LISTED_KEYS]) + more
