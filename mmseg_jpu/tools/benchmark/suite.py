# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The models the benchmark compares: per head and depth, the zoo's dilated
stride-8 model, its stride-32 counterparts, mmseg's own FastFCN (the peer)
and ESeg's BiFPN model. A model's ratios are against its ``baseline``, the
dilated model with the same head."""
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

from mmseg_jpu.utils.config_loading import scope_config_root

HEADS = ('enc', 'psp', 'aspp', 'eseg')
DEPTHS = (50, 101)
#: the peer's variant, and the variant of ours with the same head
PEER, PEER_COUNTERPART = 'mmseg-fastfcn', 'jpu'
NUM_CLASSES = 59  # Pascal Context's


def _stock(head: str, dilated: str) -> List[tuple]:
    return [('dilated', f'dilated_baselines/{dilated}_{{r}}-d8', None,
             "dilated ResNet, mmseg's stock head", {}),
            ('jpu', f'fastfcn_jpu/fastfcn_{{r}}-d32_jpu_{head}', 'dilated',
             "JPU, mmseg's stock head", {})]


#: head -> (variant, zoo config with ``{r}`` for r50/r101, baseline,
#: description, overrides) of its models but the peer
MODELS = {
    'enc': _stock('enc', 'encnet') + [
        ('dilated-matmul', 'dilated_baselines/encnet_{r}-d8', None,
         'dilated ResNet, EncHead with MatmulEncoding (FastFCNEncHead, 3x3 '
         'bottleneck)', {'model.decode_head.type': 'FastFCNEncHead',
                         'model.decode_head.bottleneck_kernel_size': 3}),
        ('jpu-1x1', 'fastfcn_jpu/fastfcn_{r}-d32_jpu_enc-1x1',
         'dilated-matmul', 'JPU, the official head (FastFCNEncHead: 1x1 '
         'bottleneck, MatmulEncoding)', {})],
    'psp': _stock('psp', 'pspnet'),
    'aspp': _stock('aspp', 'deeplabv3') + [
        ('dilated-256', 'dilated_baselines/deeplabv3-256_{r}-d8', None,
         'dilated ResNet, the official 256-channel DeepLabV3 head', {}),
        ('jpu-256', 'fastfcn_jpu/fastfcn_{r}-d32_jpu_aspp-256', 'dilated-256',
         'JPU, the official 256-channel DeepLabV3 head', {}),
        ('jpu-ksac', 'ksac/ksac_{r}-d32_jpu', 'dilated', 'JPU, KSACHead', {})],
    'eseg': [('bifpn', 'eseg/eseg_{r}-d32_bifpn', None,
              'BiFPN P3-P9 + SegformerHead', {})],
}


class Entry(NamedTuple):
    """One model of the suite; ``overrides`` are merged into ``config``."""
    head: str
    depth: int
    variant: str
    config: Path
    baseline: Optional[str]
    description: str
    overrides: Dict

    @property
    def model(self) -> str:
        """Head and depth, e.g. ``enc-r50``."""
        return f'{self.head}-r{self.depth}'


def _entries(head: str, depth: int) -> List[Entry]:
    """The models of one head and depth; with a stock head, the peer last:
    mmseg's ADE20K R50 config, with 59 classes and ``depth``."""
    suffix = '_4xb4-25k_pascal-context-59-480x480.py'
    entries = [
        Entry(head, depth, variant, scope_config_root('mmseg_jpu') /
              (config.format(r=f'r{depth}') + suffix), *rest)
        for variant, config, *rest in MODELS[head]
    ]
    if head == 'eseg':
        return entries
    config = (scope_config_root('mmseg') / 'fastfcn' /
              f'fastfcn_r50-d32_jpu_{head}_4xb4-80k_ade20k-512x512.py')
    overrides = {'model.decode_head.num_classes': NUM_CLASSES,
                 'model.auxiliary_head.num_classes': NUM_CLASSES}
    note = ''
    if depth != 50:
        overrides['model.backbone.depth'] = depth
        note = f', backbone.depth={depth}'
    return entries + [Entry(
        head, depth, PEER, config, 'dilated',
        f"mmseg's {config.name} ({NUM_CLASSES} classes{note})", overrides)]


def select(heads: Sequence[str] = HEADS,
           depths: Sequence[int] = DEPTHS,
           variants: Optional[Sequence[str]] = None) -> List[Entry]:
    """The entries of ``heads``, ``depths`` and ``variants`` (default: all),
    with their baselines, and with the peer our model of the same head."""
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
    """Every variant name of ``heads``."""
    names = [e.variant for head in heads for e in _entries(head, DEPTHS[0])]
    return list(dict.fromkeys(names))
