# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The models the benchmark compares: per head and depth, the zoo's dilated
stride-8 model, its stride-32 counterparts, mmseg's own FastFCN (the peer)
and ESeg's BiFPN model; a model's ratios are against its ``baseline``."""
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

from mmseg_jpu.utils.config_loading import scope_config_root

HEADS = ('enc', 'psp', 'aspp', 'eseg')
DEPTHS = (50, 101)
#: the peer's variant, and the variant of ours with the same head
PEER, PEER_COUNTERPART = 'mmseg-fastfcn', 'jpu'
NUM_CLASSES = 59  # Pascal Context's
#: head -> (variant, zoo config with ``{r}`` for r50/r101, baseline[,
#: overrides]) of its models but the peer
MODELS = {
    'enc': [('dilated', 'dilated_baselines/encnet_{r}-d8', None),
            ('jpu', 'fastfcn_jpu/fastfcn_{r}-d32_jpu_enc', 'dilated'),
            ('dilated-matmul', 'dilated_baselines/encnet_{r}-d8', None, {
                'model.decode_head.type': 'FastFCNEncHead',
                'model.decode_head.bottleneck_kernel_size': 3}),
            ('jpu-1x1', 'fastfcn_jpu/fastfcn_{r}-d32_jpu_enc-1x1',
             'dilated-matmul')],
    'psp': [('dilated', 'dilated_baselines/pspnet_{r}-d8', None),
            ('jpu', 'fastfcn_jpu/fastfcn_{r}-d32_jpu_psp', 'dilated')],
    'aspp': [('dilated', 'dilated_baselines/deeplabv3_{r}-d8', None),
             ('jpu', 'fastfcn_jpu/fastfcn_{r}-d32_jpu_aspp', 'dilated'),
             ('dilated-256', 'dilated_baselines/deeplabv3-256_{r}-d8', None),
             ('jpu-256', 'fastfcn_jpu/fastfcn_{r}-d32_jpu_aspp-256',
              'dilated-256'),
             ('jpu-ksac', 'ksac/ksac_{r}-d32_jpu', 'dilated')],
    'eseg': [('bifpn', 'eseg/eseg_{r}-d32_bifpn', None)],
}
VARIANTS = list(dict.fromkeys(
    [model[0] for models in MODELS.values() for model in models] + [PEER]))


class Entry(NamedTuple):
    """One model of the suite; ``overrides`` are merged into ``config``."""
    head: str
    depth: int
    variant: str
    config: Path
    baseline: Optional[str]
    overrides: Dict

    @property
    def model(self) -> str:
        """Head and depth, e.g. ``enc-r50``."""
        return f'{self.head}-r{self.depth}'


def _entries(head: str, depth: int) -> List[Entry]:
    """The models of one head and depth; with a stock head, the peer last:
    mmseg's ADE20K R50 config, with 59 classes and ``depth``."""
    root = scope_config_root('mmseg_jpu')
    entries = [
        Entry(head, depth, variant, root / f'{config.format(r=f"r{depth}")}'
              '_4xb4-25k_pascal-context-59-480x480.py', baseline,
              dict(*overrides))
        for variant, config, baseline, *overrides in MODELS[head]
    ]
    if head == 'eseg':
        return entries
    overrides = {'model.decode_head.num_classes': NUM_CLASSES,
                 'model.auxiliary_head.num_classes': NUM_CLASSES,
                 'model.backbone.depth': depth}
    return entries + [Entry(
        head, depth, PEER, scope_config_root('mmseg') / 'fastfcn' /
        f'fastfcn_r50-d32_jpu_{head}_4xb4-80k_ade20k-512x512.py', 'dilated',
        overrides)]


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
