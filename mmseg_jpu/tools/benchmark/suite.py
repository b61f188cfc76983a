# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The models the benchmark compares: per head and depth, the dilated
stride-8 model of the zoo and its stride-32 counterparts, mmseg's own
FastFCN model (the peer) as mmseg ships it, and ESeg's BiFPN model (stride
32, no dilated twin).

Every ratio is like for like: a model is measured against the dilated model
with the same head (``baseline``), and for EncNet the dilated model whose
EncHead computes its Encoding layer as the JPU model's does.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmseg_jpu.utils.config_loading import scope_config_root

HEADS = ('enc', 'psp', 'aspp', 'eseg')
DEPTHS = (50, 101)
#: the peer's variant, and the variant of ours with the same head
PEER = 'mmseg-fastfcn'
PEER_COUNTERPART = 'jpu'
#: the benchmark's models classify into Pascal Context's 59 classes
NUM_CLASSES = 59


@dataclass(frozen=True)
class Entry:
    """One model of the suite.

    Attributes:
        head: Decode head family: ``enc``, ``psp``, ``aspp`` or ``eseg``.
        depth: ResNet depth.
        variant: What makes it different, e.g. ``dilated`` or ``jpu``.
        config: Config file.
        baseline: Variant its ratios are measured against (``None`` for the
            baselines themselves).
        description: What the model is, for the report.
        overrides: Settings merged into ``config`` (``--cfg-options`` style).
    """
    head: str
    depth: int
    variant: str
    config: Path
    baseline: Optional[str]
    description: str
    overrides: Dict = field(default_factory=dict, compare=False)

    @property
    def model(self) -> str:
        """Name of the head and depth, e.g. ``enc-r50``."""
        return f'{self.head}-r{self.depth}'


def _zoo(folder: str, name: str) -> Path:
    return (scope_config_root('mmseg_jpu') / folder /
            f'{name}_4xb4-25k_pascal-context-59-480x480.py')


def _peer(head: str, depth: int) -> Entry:
    """mmseg's FastFCN with ``head``: its ADE20K config as shipped
    (ResNet-50; depth 101 by overriding ``backbone.depth``), classifying
    into :data:`NUM_CLASSES` classes like the rest of the suite."""
    config = (scope_config_root('mmseg') / 'fastfcn' /
              f'fastfcn_r50-d32_jpu_{head}_4xb4-80k_ade20k-512x512.py')
    overrides = {'model.decode_head.num_classes': NUM_CLASSES,
                 'model.auxiliary_head.num_classes': NUM_CLASSES}
    note = ''
    if depth != 50:
        overrides['model.backbone.depth'] = depth
        note = f', backbone.depth={depth}'
    return Entry(head, depth, PEER, config, 'dilated',
                 f"mmseg's {config.name} ({NUM_CLASSES} classes{note})",
                 overrides)


def _entries(head: str, depth: int) -> List[Entry]:
    """The models of one head and depth, see the module docstring."""
    r = f'r{depth}'
    if head == 'eseg':
        bifpn = _zoo('eseg', f'eseg_{r}-d32_bifpn')
        return [Entry(head, depth, 'bifpn', bifpn, None,
                      'BiFPN P3-P9 + SegformerHead')]
    dilated_name = {'enc': 'encnet', 'psp': 'pspnet', 'aspp': 'deeplabv3'}
    dilated = _zoo('dilated_baselines', f'{dilated_name[head]}_{r}-d8')
    jpu = _zoo('fastfcn_jpu', f'fastfcn_{r}-d32_jpu_{head}')
    entries = [
        Entry(head, depth, 'dilated', dilated, None,
              "dilated ResNet, mmseg's stock head"),
        Entry(head, depth, 'jpu', jpu, 'dilated', "JPU, mmseg's stock head"),
    ]
    if head == 'enc':
        entries += [
            Entry(head, depth, 'dilated-matmul', dilated, None,
                  'dilated ResNet, EncHead with MatmulEncoding '
                  '(FastFCNEncHead, 3x3 bottleneck)',
                  {'model.decode_head.type': 'FastFCNEncHead',
                   'model.decode_head.bottleneck_kernel_size': 3}),
            Entry(head, depth, 'jpu-1x1',
                  _zoo('fastfcn_jpu', f'fastfcn_{r}-d32_jpu_enc-1x1'),
                  'dilated-matmul', 'JPU, the official head (FastFCNEncHead: '
                  '1x1 bottleneck, MatmulEncoding)'),
        ]
    if head == 'aspp':
        entries += [
            Entry(head, depth, 'dilated-256',
                  _zoo('dilated_baselines', f'deeplabv3-256_{r}-d8'), None,
                  'dilated ResNet, the official 256-channel DeepLabV3 head'),
            Entry(head, depth, 'jpu-256',
                  _zoo('fastfcn_jpu', f'fastfcn_{r}-d32_jpu_aspp-256'),
                  'dilated-256',
                  'JPU, the official 256-channel DeepLabV3 head'),
            Entry(head, depth, 'jpu-ksac', _zoo('ksac', f'ksac_{r}-d32_jpu'),
                  'dilated', 'JPU, KSACHead'),
        ]
    return entries + [_peer(head, depth)]


def select(heads: Sequence[str] = HEADS,
           depths: Sequence[int] = DEPTHS,
           variants: Optional[Sequence[str]] = None) -> List[Entry]:
    """The suite's entries for the given heads, depths and variants (all
    variants when ``variants`` is None); a selected variant brings its
    baseline, and the peer brings the model of ours with the same head."""
    chosen = []
    for head in heads:
        for depth in depths:
            entries = _entries(head, depth)
            wanted = {e.variant for e in entries
                      if variants is None or e.variant in variants}
            if PEER in wanted:
                wanted.add(PEER_COUNTERPART)
            wanted |= {e.baseline for e in entries if e.variant in wanted}
            chosen += [e for e in entries if e.variant in wanted]
    return chosen


def variants_of(heads: Sequence[str] = HEADS) -> List[str]:
    """Every variant name the suite knows for ``heads``."""
    names = [e.variant for head in heads for e in _entries(head, DEPTHS[0])]
    return list(dict.fromkeys(names))
