# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The conversion of a model config, by the rule of docs/jpuify.md: the
stride-32 backbone, ``JointPyramidUpsampling`` recovering the output
stride, every head reading what it read before (the deepest feature now
being the JPU's)."""
import copy
from typing import List, Optional, Tuple

from mmengine.config import ConfigDict

from mmseg_jpu.models.backbones.no_dilation import RESNET_STRIDE_ARGS
from .errors import JpuifyError
from .heads import feature_heads, rewire
from .levels import backbone_levels

DOCS = 'docs/jpuify.md'
SEGMENTORS = ('EncoderDecoder', 'CascadeEncoderDecoder')
#: output strides the JPU can recover (it fuses at least two strides)
OUTPUT_STRIDES = (8, 16)
JPU_DILATIONS = (1, 2, 4, 8)
#: dilated class -> (stride-32 class, keys that change the stride, stages)
STRIDE_32 = {
    'ResNet': ('ResNetD32', RESNET_STRIDE_ARGS, 4),
    'ResNetV1c': ('ResNetD32', RESNET_STRIDE_ARGS, 4),
    'ResNetV1d': ('ResNetD32', RESNET_STRIDE_ARGS, 4),
    'ResNeSt': ('ResNeStD32', RESNET_STRIDE_ARGS, 4),
    'MobileNetV2': ('MobileNetV2D32', ('strides', 'dilations'), 7),
}
#: what a dilated class implies that its stride-32 class must be told
IMPLIED = {'ResNet': dict(deep_stem=False), 'ResNetV1d': dict(avg_down=True)}
MMSEG_JPU = 'JPU'
#: our neck's argument -> (mmseg ``JPU``'s, its default there)
MMSEG_JPU_SETTINGS = dict(
    width=('mid_channels', 512),
    dilations=('dilations', (1, 2, 4, 8)),
    align_corners=('align_corners', False),
    conv_cfg=('conv_cfg', None),
    norm_cfg=('norm_cfg', dict(type='BN')),
    act_cfg=('act_cfg', None))
CGNET = (
    "CGNet's dilations {dilations} are the surrounding-context rates of its "
    'Context Guided blocks and it has no stride-32 stage: it is a 3-stage '
    'network designed to end at output stride 8, so there is no dilated '
    'stage for JPU to replace. Use the CGNet config as it is (it is already '
    'a real-time model), or jpuify a ResNet, ResNeSt or MobileNetV2 config '
    'of the same method')


def jpuify_model(model: ConfigDict,
                 output_stride: Optional[int] = None) -> ConfigDict:
    """The converted ``model`` config (the input is left unchanged).

    Args:
        model (ConfigDict): ``cfg.model`` of the source config.
        output_stride (int, optional): Stride of the JPU feature, 8 or 16.
            Default: the source's (8 for a source whose dilated backbone
            keeps stride 32).

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
        settings = {
            ours: model.neck.get(*theirs)
            for ours, theirs in MMSEG_JPU_SETTINGS.items()
            if model.neck.get(*theirs) is not None
        }
    else:
        if levels[-1].stage != stages[-1].stage:
            raise JpuifyError(
                'model.backbone.out_indices does not include the last stage '
                f'({stages[-1].stage}): jpuify replaces its feature with the '
                'JPU feature. Add it to out_indices')
        used = levels
        reads = [level.stage for level in levels[:-1]] + [None]
        default_stride = levels[-1].stride
        if default_stride not in OUTPUT_STRIDES:  # a dilated stride-32 one
            default_stride = OUTPUT_STRIDES[0]
        settings = dict(  # the JPU feature keeps the channels heads read
            width=stages[-1].channels // len(JPU_DILATIONS),
            dilations=JPU_DILATIONS,
            norm_cfg=backbone.get('norm_cfg', dict(type='BN')))
    stride = output_stride or default_stride
    deepest = {level.stride: level.stage for level in stages}
    fused = [deepest[s] for s in (8, 16, 32) if s >= stride]
    new = sorted({level.stage for level in used} | set(fused))
    by_stage = {level.stage: level for level in stages}

    model = copy.deepcopy(model)
    model.backbone = stride32(backbone, new)
    model.neck = ConfigDict(
        type='JointPyramidUpsampling',
        in_channels=tuple(by_stage[s].channels for s in new),
        start_level=next(i for i, s in enumerate(new)
                         if by_stage[s].stride >= stride),
        **settings)

    def new_index(i: int) -> int:  # the JPU feature comes after the levels
        return len(new) if reads[i] is None else new.index(reads[i])

    for name, head in feature_heads(model):
        rewire(name, head, len(reads), new_index)
    if model.type == 'CascadeEncoderDecoder':
        _cascade_at_output_stride(
            model, [by_stage[s].stride for s in new], stride,
            settings['width'] * len(settings['dilations']))
    return model


def stride32(backbone: ConfigDict, out_indices=None) -> ConfigDict:
    """The stride-32 config of a dilated ``backbone`` (every stage
    output by default)."""
    target, stride_args, num_stages = STRIDE_32[backbone.type]
    config = ConfigDict(type=target, **IMPLIED.get(backbone.type, {}))
    config.update({
        key: value
        for key, value in backbone.items()
        if key not in stride_args and key != 'type'
    })
    config.out_indices = tuple(
        range(num_stages) if out_indices is None else out_indices)
    return config


def has_dilation_to_replace(model: ConfigDict) -> bool:
    """Whether the model has a dilated backbone, or mmseg's ``JPU`` on a
    backbone (mmseg's FastFCN): what jpuify converts or explains."""
    dilations = (model.get('backbone') or {}).get('dilations') or ()
    return any(d > 1 for d in dilations) or _has_mmseg_jpu(model)


def fused_levels(neck: ConfigDict, num_inputs: int) -> Tuple[int, int]:
    """``(start, end)``: the backbone outputs an mmseg ``JPU`` fuses; it
    outputs those but the last, then the JPU feature."""
    end = neck.get('end_level', -1)
    return neck.get('start_level', 0), num_inputs if end == -1 else end


def _has_mmseg_jpu(model: ConfigDict) -> bool:
    neck = model.get('neck')
    return isinstance(neck, dict) and neck.get('type') == MMSEG_JPU


def _check_source(model: ConfigDict, output_stride: Optional[int]) -> None:
    """Raise, saying why and what to do, unless jpuify can convert it."""
    kind = (model.get('backbone') or {}).get('type')
    known = ', '.join(sorted(STRIDE_32))
    if not has_dilation_to_replace(model):
        reason = (f'is not dilated: it already runs at output stride 32'
                  if kind in STRIDE_32 else
                  f'is not a dilated backbone (jpuify replaces dilated '
                  f'{known})')
        raise JpuifyError(
            f'backbone {kind!r} {reason}; nothing to convert. To add JPU to '
            f'it anyway, follow "Use JPU in your own configs" in {DOCS}')
    if kind == 'CGNet':
        raise JpuifyError(CGNET.format(**model.backbone))
    if kind not in STRIDE_32:
        raise JpuifyError(
            f'backbone {kind!r} has no stride-32 version in mmseg_jpu (jpuify '
            f'converts the dilated {known}). Write its undilated version and '
            f'add JointPyramidUpsampling by hand, as {DOCS} shows')
    if model.get('type') not in SEGMENTORS:
        raise JpuifyError(
            f'segmentor {model.get("type")!r} is not one of {SEGMENTORS}: '
            'jpuify rewires the heads of these only')
    if model.get('neck') and not _has_mmseg_jpu(model):
        neck = (repr(model.neck.get('type')) if isinstance(model.neck, dict)
                else 'a list of necks')
        raise JpuifyError(
            f'model.neck is {neck}: jpuify adds a JointPyramidUpsampling '
            'neck and cannot combine it with another neck. Remove the neck '
            'from the source config, or convert by hand')
    if output_stride not in (None, *OUTPUT_STRIDES):
        raise JpuifyError(f'output stride {output_stride} is not one of '
                          f'{OUTPUT_STRIDES}')


def _cascade_at_output_stride(model: ConfigDict, strides: List[int],
                              stride: int, jpu_channels: int) -> None:
    """In a ``CascadeEncoderDecoder`` (OCRNet) each decode head hands its
    logits to the next at the size of the next one's feature, all at the
    output stride in the dilated source: a decode head that read another
    level (OCRNet's FCN head on C4, now coarser) reads the JPU feature."""
    for name, head in feature_heads(model):
        index = head.in_index
        if (name.startswith('model.decode_head[') and isinstance(index, int)
                and index != len(strides) and strides[index] != stride):
            head.in_index = len(strides)
            head.in_channels = jpu_channels
