# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""What a conversion changed: the backbone, the neck, what each head reads,
the parameters and, on request, the GFLOPs."""
from typing import List, Optional, Tuple

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import ConfigDict

from .levels import PROBE_SIZE, build_model, feature_heads, meta_image

BACKBONE_KEYS = ('depth', 'strides', 'dilations', 'out_indices')
NECK_KEYS = ('in_channels', 'start_level', 'width', 'mid_channels',
             'dilations', 'align_corners')
JPU_NECKS = ('JointPyramidUpsampling', 'JPU')


def summary_lines(source: ConfigDict,
                  converted: ConfigDict,
                  flops_shape: Optional[Tuple[int, int]] = None) -> List[str]:
    """The summary of converting model config ``source`` to ``converted``;
    GFLOPs at ``flops_shape`` ``(H, W)`` if given (built on the CPU)."""
    (before, old_params), (after, new_params) = map(_probe,
                                                    (source, converted))
    lines = []
    for part, keys in (('backbone', BACKBONE_KEYS), ('neck', NECK_KEYS)):
        old, new = (_described(m.get(part), keys) for m in (source, converted))
        lines += [f'{part:<11} {old}', f'         -> {new}']
    for (name, old), (_, new) in zip(feature_heads(source),
                                     feature_heads(converted)):
        lines.append(f'{name}.in_index  {_reads(old, before)} -> '
                     f'{_reads(new, after)}')
    lines.append(f'parameters  {old_params / 1e6:.2f} M -> '
                 f'{new_params / 1e6:.2f} M '
                 f'({(new_params - old_params) / 1e6:+.2f} M)')
    if flops_shape:
        old, new = (_gflops(m, flops_shape) for m in (source, converted))
        lines.append(f'GFLOPs      {old:.1f} -> {new:.1f} at '
                     f'{flops_shape[0]}x{flops_shape[1]} ({new / old:.2f}x)')
    return lines


def _described(module: Optional[ConfigDict], keys) -> str:
    if not module:
        return 'none'
    shown = ', '.join(f'{key}={module[key]}' for key in keys if key in module)
    return f'{module.type}({shown})'


def _probe(model: ConfigDict) -> Tuple[List[str], int]:
    """Each feature the heads can read (channels, stride, whether it is a
    JPU neck's last output), and the parameter count."""
    segmentor = build_model(model)
    segmentor.eval()
    feats = [
        f'{f.shape[1]} ch at stride {PROBE_SIZE // f.shape[2]}'
        for f in segmentor.extract_feat(meta_image())
    ]
    if (model.get('neck') or {}).get('type') in JPU_NECKS:
        feats[-1] += ', JPU'
    return feats, sum(p.numel() for p in segmentor.parameters())


def _reads(head: ConfigDict, feats: List[str]) -> str:
    index = head.get('in_index', -1)
    indices = [index] if isinstance(index, int) else index
    return f'{index!r} (' + '; '.join(feats[i] for i in indices) + ')'


def _gflops(model: ConfigDict, shape: Tuple[int, int]) -> float:
    segmentor = build_model(model, meta=False)
    segmentor.eval()
    analyzer = FlopAnalyzer(segmentor, (torch.randn(1, 3, *shape), ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with torch.no_grad():
        return analyzer.total() / 1e9
