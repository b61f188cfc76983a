# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""What a conversion changed, in a few lines: the backbone, the neck, what
each head reads (index, channels, stride), the parameters and, on request,
the GFLOPs."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import ConfigDict

from .heads import feature_heads, in_index
from .levels import PROBE_SIZE, build_model, meta_image
from .mmseg_jpu_neck import MMSEG_JPU

BACKBONE_KEYS = ('depth', 'strides', 'dilations', 'out_indices')
JPU_NECKS = ('JointPyramidUpsampling', MMSEG_JPU)


def summary_lines(source: ConfigDict,
                  converted: ConfigDict,
                  flops_shape: Optional[Tuple[int, int]] = None) -> List[str]:
    """The summary of converting model config ``source`` to ``converted``.

    Args:
        flops_shape (tuple, optional): ``(H, W)`` to count GFLOPs at (both
            models are then built on the CPU); None to skip.
    """
    before, after = _features(source), _features(converted)
    lines = [
        f'backbone    {_backbone(source.backbone)}',
        f'         -> {_backbone(converted.backbone)}',
        f'neck        {_neck(source.get("neck"))}',
        f'         -> {_neck(converted.neck)}',
    ]
    for (name, old), (_, new) in zip(
            feature_heads(source), feature_heads(converted)):
        lines.append(f'{name}.in_index  {_reads(old, before)} -> '
                     f'{_reads(new, after)}')
    params = [_params(m) for m in (source, converted)]
    lines.append(f'parameters  {params[0] / 1e6:.2f} M -> '
                 f'{params[1] / 1e6:.2f} M '
                 f'({(params[1] - params[0]) / 1e6:+.2f} M)')
    if flops_shape:
        flops = [_gflops(m, flops_shape) for m in (source, converted)]
        lines.append(f'GFLOPs      {flops[0]:.1f} -> {flops[1]:.1f} at '
                     f'{flops_shape[0]}x{flops_shape[1]} '
                     f'({flops[1] / flops[0]:.2f}x)')
    return lines


def _backbone(backbone: ConfigDict) -> str:
    shown = ', '.join(f'{key}={backbone[key]}' for key in BACKBONE_KEYS
                      if key in backbone)
    return f'{backbone.type}({shown})'


def _neck(neck) -> str:
    if not neck:
        return 'none'
    shown = ', '.join(
        f'{key}={neck[key]}'
        for key in ('in_channels', 'start_level', 'width', 'mid_channels',
                    'dilations', 'align_corners') if key in neck)
    return f'{neck.type}({shown})'


def _features(model: ConfigDict) -> List[str]:
    """What each feature the heads can read is: channels, stride, and
    whether it is the JPU feature (the last output of a JPU neck)."""
    segmentor = build_model(model)
    segmentor.eval()
    feats = segmentor.extract_feat(meta_image())
    described = [
        f'{f.shape[1]} ch at stride {PROBE_SIZE // f.shape[2]}' for f in feats
    ]
    if (model.get('neck') or {}).get('type') in JPU_NECKS:
        described[-1] += ', JPU'
    return described


def _reads(head: ConfigDict, feats: Sequence[str]) -> str:
    index = in_index(head)
    indices = [index] if isinstance(index, int) else list(index)
    return f'{index!r} (' + '; '.join(feats[i] for i in indices) + ')'


def _params(model: ConfigDict) -> int:
    return sum(p.numel() for p in build_model(model).parameters())


def _gflops(model: ConfigDict, shape: Tuple[int, int]) -> float:
    segmentor = build_model(model, meta=False)
    segmentor.eval()
    analyzer = FlopAnalyzer(segmentor, (torch.randn(1, 3, *shape), ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with torch.no_grad():
        return analyzer.total() / 1e9
