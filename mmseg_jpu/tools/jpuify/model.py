# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The conversion of a model config: a dilated backbone becomes its
stride-32 version, ``JointPyramidUpsampling`` recovers the source's output
stride, and every head reads what it read before, the deepest feature now
being the JPU's.

The JPU fuses, for each stride from the output stride to 32, the deepest
stage at that stride (C3-C5 at stride 8 for a d8 ResNet, C4-C5 at stride 16
for a d16 one); its ``width`` is the last stage's channels divided by the
number of dilation branches, so the JPU feature has the channels the heads
read before and their ``in_channels`` stay. A source with mmseg's own
``JPU`` neck (mmseg's ``fastfcn/*``) keeps that neck's settings.
"""
import copy
from typing import List, Optional, Sequence

from mmengine.config import ConfigDict

from .backbones import check_convertible, is_dilated, refuse_undilated, stride32
from .errors import JpuifyError
from .heads import feature_heads, rewire
from .levels import Level, backbone_levels
from .mmseg_jpu_neck import MMSEG_JPU, fused_levels, neck_settings

SEGMENTORS = ('EncoderDecoder', 'CascadeEncoderDecoder')
#: output strides the JPU can recover (it fuses at least two strides)
OUTPUT_STRIDES = (8, 16)
LAST_STRIDE = 32
JPU_DILATIONS = (1, 2, 4, 8)


def jpuify_model(model: ConfigDict,
                 output_stride: Optional[int] = None) -> ConfigDict:
    """The converted ``model`` config (the input is left unchanged).

    Args:
        model (ConfigDict): ``cfg.model`` of the source config.
        output_stride (int, optional): Stride of the JPU feature, 8 or 16.
            Default: the source's output stride (8 for a source whose
            dilated backbone keeps stride 32).

    Raises:
        JpuifyError: If the model cannot be converted, saying why.
    """
    _check_source(model, output_stride)
    backbone = model.backbone
    levels = backbone_levels(backbone)
    stages = backbone_levels(stride32(backbone))
    if _has_mmseg_jpu(model):
        start, end = fused_levels(model.neck, len(levels))
        used = levels[:end]
        # the source heads read the levels start .. end - 2, then the JPU
        reads = [level.stage for level in used[start:end - 1]] + [None]
        default_stride = used[start].stride
        settings = neck_settings(model.neck)
    else:
        used = levels
        reads = _neckless_reads(levels, stages[-1])
        default_stride = levels[-1].stride
        if default_stride not in OUTPUT_STRIDES:  # a dilated stride-32 one
            default_stride = OUTPUT_STRIDES[0]
        settings = _neck_settings(backbone, stages[-1].channels)
    stride = output_stride or default_stride
    fused = [_deepest_at(stages, s) for s in _strides_from(stride)]
    new = sorted({level.stage for level in used} | set(fused))
    channels = {level.stage: level.channels for level in stages}
    strides = {level.stage: level.stride for level in stages}

    model = copy.deepcopy(model)
    model.backbone = stride32(backbone, new)
    model.neck = ConfigDict(
        type='JointPyramidUpsampling',
        in_channels=tuple(channels[s] for s in new),
        start_level=next(i for i, s in enumerate(new) if strides[s] >= stride),
        **settings)

    def new_index(i: int) -> int:  # the JPU feature comes after the levels
        return len(new) if reads[i] is None else new.index(reads[i])

    for name, head in feature_heads(model):
        rewire(name, head, len(reads), new_index)
    if model.type == 'CascadeEncoderDecoder':
        _cascade_at_output_stride(
            model, [strides[s] for s in new], stride,
            settings['width'] * len(settings['dilations']))
    return model


def _neckless_reads(levels: List[Level],
                    last_stage: Level) -> List[Optional[int]]:
    """The stage each output of a dilated backbone comes from, ``None`` for
    the last one, which the JPU feature replaces."""
    if levels[-1].stage != last_stage.stage:
        raise JpuifyError(
            'model.backbone.out_indices does not include the last stage '
            f'({last_stage.stage}): jpuify replaces the feature of the '
            'last stage with the JPU feature. Add it to out_indices')
    return [level.stage for level in levels[:-1]] + [None]


def _neck_settings(backbone: ConfigDict, last_channels: int) -> dict:
    """The JPU's settings for a source without a neck: the JPU feature has
    the channels of the last stage, which the heads read."""
    branches = len(JPU_DILATIONS)
    if last_channels % branches:
        raise JpuifyError(
            f'the last stage has {last_channels} channels, which the '
            f'{branches} JPU branches cannot split evenly (the JPU feature '
            'must keep the channels the heads read)')
    return dict(
        width=last_channels // branches,
        dilations=JPU_DILATIONS,
        norm_cfg=backbone.get('norm_cfg', dict(type='BN')))


def _cascade_at_output_stride(model: ConfigDict, strides: List[int],
                              stride: int, jpu_channels: int) -> None:
    """In a ``CascadeEncoderDecoder`` (OCRNet) each decode head hands its
    logits to the next, which uses them at the size of its own feature: all
    read the output stride in the dilated source. A decode head that read
    another level (OCRNet's FCN head on C4), now at a coarser stride, reads
    the JPU feature instead."""
    jpu_index = len(strides)
    for name, head in feature_heads(model):
        index = head.in_index
        if (name.startswith('model.decode_head[') and isinstance(index, int)
                and index != jpu_index and strides[index] != stride):
            head.in_index = jpu_index
            head.in_channels = jpu_channels


def _check_source(model: ConfigDict, output_stride: Optional[int]) -> None:
    """Raise, saying why, unless jpuify can convert the source model."""
    if not has_dilation_to_replace(model):
        refuse_undilated(model.get('backbone') or ConfigDict())
    check_convertible(model.backbone)
    if model.get('type') not in SEGMENTORS:
        raise JpuifyError(
            f'segmentor {model.get("type")!r} is not one of {SEGMENTORS}: '
            'jpuify rewires the heads of these only')
    if model.get('neck') and not _has_mmseg_jpu(model):
        neck = (repr(model.neck.get('type')) if isinstance(model.neck, dict)
                else 'a list of necks')
        raise JpuifyError(
            f'model.neck is {neck}: jpuify adds a '
            'JointPyramidUpsampling neck and cannot combine it with another '
            'neck. Remove the neck from the source config, or convert by hand')
    if output_stride not in (None, *OUTPUT_STRIDES):
        raise JpuifyError(f'output stride {output_stride} is not one of '
                          f'{OUTPUT_STRIDES}')


def has_dilation_to_replace(model: ConfigDict) -> bool:
    """Whether the model has a dilated backbone, or mmseg's ``JPU`` on a
    backbone (mmseg's FastFCN): what jpuify converts or explains."""
    return is_dilated(model.get('backbone') or {}) or _has_mmseg_jpu(model)


def _has_mmseg_jpu(model: ConfigDict) -> bool:
    neck = model.get('neck')
    return isinstance(neck, dict) and neck.get('type') == MMSEG_JPU


def _strides_from(stride: int) -> List[int]:
    strides = [stride]
    while strides[-1] < LAST_STRIDE:
        strides.append(strides[-1] * 2)
    return strides


def _deepest_at(stages: Sequence[Level], stride: int) -> int:
    found = [level.stage for level in stages if level.stride == stride]
    if not found:
        raise JpuifyError(
            f'the stride-32 backbone has no stage at stride {stride} '
            f'(its stages: {[level.stride for level in stages]})')
    return found[-1]

