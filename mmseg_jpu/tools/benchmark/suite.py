# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The models the benchmark compares: per head and depth, the dilated
stride-8 model of the zoo and its stride-32 counterparts, and ESeg's BiFPN
model (stride 32, no dilated twin)."""
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from ...utils.package_files import CONFIG_ROOT as CONFIG_DIR
HEADS = ('enc', 'psp', 'aspp', 'eseg')
DEPTHS = (50, 101)


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
    """
    head: str
    depth: int
    variant: str
    config: Path
    baseline: Optional[str] = 'dilated'

    @property
    def model(self) -> str:
        """Name of the head and depth, e.g. ``enc-r50``."""
        return f'{self.head}-r{self.depth}'


def _zoo(folder: str, name: str) -> Path:
    return CONFIG_DIR / folder / f'{name}_4xb4-25k_pascal-context-59-480x480.py'


def _entries(head: str, depth: int) -> List[Entry]:
    """The dilated model, the JPU model with mmseg's stock head and, for Enc
    and ASPP, the JPU model with the official FastFCN head (EncHead with a
    1x1 bottleneck; the 256-channel DeepLabV3 head, whose dilated twin is
    the baseline of that pair) and KSAC's head on JPU. ESeg alone."""
    r = f'r{depth}'
    if head == 'eseg':
        return [Entry(head, depth, 'bifpn',
                      _zoo('eseg', f'eseg_{r}-d32_bifpn'), None)]
    dilated_name = {'enc': 'encnet', 'psp': 'pspnet', 'aspp': 'deeplabv3'}
    entries = [
        Entry(head, depth, 'dilated',
              _zoo('dilated_baselines', f'{dilated_name[head]}_{r}-d8'), None),
        Entry(head, depth, 'jpu', _zoo('fastfcn_jpu', f'fastfcn_{r}-d32_jpu_{head}')),
    ]
    if head == 'enc':
        entries.append(Entry(head, depth, 'jpu-1x1', _zoo(
            'fastfcn_jpu', f'fastfcn_{r}-d32_jpu_enc-1x1')))
    if head == 'aspp':
        entries += [
            Entry(head, depth, 'dilated-256', _zoo(
                'dilated_baselines', f'deeplabv3-256_{r}-d8'), None),
            Entry(head, depth, 'jpu-256', _zoo(
                'fastfcn_jpu', f'fastfcn_{r}-d32_jpu_aspp-256'), 'dilated-256'),
            Entry(head, depth, 'jpu-ksac', _zoo('ksac', f'ksac_{r}-d32_jpu')),
        ]
    return entries


def select(heads: Sequence[str] = HEADS,
           depths: Sequence[int] = DEPTHS,
           variants: Optional[Sequence[str]] = None) -> List[Entry]:
    """The suite's entries for the given heads, depths and variants (all
    variants when ``variants`` is None); a baseline is kept whenever one of
    its variants is selected."""
    chosen = []
    for head in heads:
        for depth in depths:
            entries = _entries(head, depth)
            wanted = {e.variant for e in entries
                      if variants is None or e.variant in variants}
            wanted |= {e.baseline for e in entries
                       if e.variant in wanted and e.baseline}
            chosen += [e for e in entries if e.variant in wanted]
    return chosen


def variants_of(heads: Sequence[str] = HEADS) -> List[str]:
    """Every variant name the suite knows for ``heads``."""
    names = []
    for head in heads:
        names += [e.variant for e in _entries(head, DEPTHS[0])
                  if e.variant not in names]
    return names
