# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The conversion of a model config, by the rule of docs/jpuify.md."""
import copy
from typing import Optional

from mmengine.config import ConfigDict

from mmseg_jpu.models.backbones.no_dilation import RESNET_STRIDE_ARGS
from .levels import backbone_levels, feature_heads

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
MMSEG_JPU_ONLY = ('type', 'in_channels', 'mid_channels', 'start_level',
                  'end_level')
CONVERTIBLE = (
    f'jpuify converts an {" or ".join(SEGMENTORS)} whose backbone is a '
    f'dilated {", ".join(STRIDE_32)}, with no neck or mmseg\'s JPU. To add '
    f'JPU to this model, follow "Use JPU in your own configs" in {DOCS}')
CGNET = ("CGNet's dilations {dilations} are the context rates of its Context "
         'Guided blocks, and it ends at output stride 8 with no stride-32 '
         'stage for JPU to replace: use the CGNet config as it is')


class JpuifyError(ValueError):
    """A config or checkpoint cannot be converted; the message says why."""


def jpuify_model(model: ConfigDict,
                 output_stride: Optional[int] = None) -> ConfigDict:
    """The converted ``model`` config (the input is left unchanged).

    Args:
        model (ConfigDict): ``cfg.model`` of the source config.
        output_stride (int, optional): Stride of the JPU feature, one of
            ``OUTPUT_STRIDES``. Default: the source's (8 for a source whose
            dilated backbone keeps stride 32).

    Raises:
        JpuifyError: If the model cannot be converted, saying why.
    """
    _check_source(model)
    backbone = model.backbone
    levels = backbone_levels(backbone)
    stages = backbone_levels(stride32(backbone))
    if levels[-1].stage != stages[-1].stage:
        raise JpuifyError(
            'model.backbone.out_indices does not include the last stage '
            f'({stages[-1].stage}), whose feature jpuify replaces with '
            'the JPU feature. Add it to out_indices')
    neck = model.get('neck') or {}  # none or mmseg's JPU
    end = neck.get('end_level', -1)
    used = levels if end == -1 else levels[:end]
    start = neck.get('start_level', 0)
    # the source's heads read these levels, then the JPU's or last feature
    reads = [level.stage for level in used[start:-1]] + [None]
    default_stride = used[start if neck else -1].stride
    if default_stride not in OUTPUT_STRIDES:  # a dilated stride-32 one
        default_stride = OUTPUT_STRIDES[0]
    if neck:
        settings = {
            'dilations': JPU_DILATIONS,
            'align_corners': False,
            **neck, 'width': neck.get('mid_channels', 512)
        }
        for key in MMSEG_JPU_ONLY:
            settings.pop(key, None)
    else:  # the JPU feature keeps the channels heads read
        settings = dict(width=stages[-1].channels // len(JPU_DILATIONS),
                        dilations=JPU_DILATIONS,
                        norm_cfg=backbone.get('norm_cfg', dict(type='BN')))
    stride = output_stride or default_stride
    deepest = {level.stride: level.stage for level in stages}
    fused = [deepest[s] for s in (8, 16, 32) if s >= stride]
    new = sorted({level.stage for level in used} | set(fused))
    by_stage = {level.stage: level for level in stages}

    model = copy.deepcopy(model)
    model.backbone = stride32(backbone, new)
    model.neck = ConfigDict(type='JointPyramidUpsampling',
                            in_channels=tuple(by_stage[s].channels
                                              for s in new),
                            start_level=next(i for i, s in enumerate(new)
                                             if by_stage[s].stride >= stride),
                            **settings)
    strides = [by_stage[s].stride for s in new]
    for name, head in feature_heads(model):
        index = head.get('in_index', -1)
        indices = [index] if isinstance(index, int) else list(index)
        if not all(-len(reads) <= i < len(reads) for i in indices):
            raise JpuifyError(
                f'{name}.in_index={index!r} is out of range: the source '
                f'model gives its heads {len(reads)} features')
        indices = [
            len(new) if reads[i] is None else new.index(reads[i])
            for i in indices
        ]
        head.in_index = (indices[0]
                         if isinstance(index, int) else type(index)(indices))
        # OCRNet's FCN head hands its logits on at the output stride
        if (model.type == 'CascadeEncoderDecoder'
                and name.startswith('model.decode_head[')
                and isinstance(index, int) and indices[0] < len(new)
                and strides[indices[0]] != stride):
            head.in_index = len(new)
            head.in_channels = settings['width'] * len(settings['dilations'])
    return model


def stride32(backbone: ConfigDict, out_indices=None) -> ConfigDict:
    """The stride-32 config of a dilated ``backbone``."""
    target, stride_args, num_stages = STRIDE_32[backbone.type]
    config = ConfigDict({**IMPLIED.get(backbone.type, {}), **backbone})
    config.type = target
    for key in stride_args:
        config.pop(key, None)
    config.out_indices = tuple(
        range(num_stages) if out_indices is None else out_indices)
    return config


def has_dilation_to_replace(model: ConfigDict) -> bool:
    """Whether the model has a dilated backbone or mmseg's ``JPU``."""
    dilations = (model.get('backbone') or {}).get('dilations') or ()
    neck = (model.get('neck') or {}).get('type')
    return any(d > 1 for d in dilations) or neck == MMSEG_JPU


def _check_source(model: ConfigDict) -> None:
    """Raise naming the first field that jpuify cannot convert."""
    backbone = model.get('backbone') or {}
    if backbone.get('type') == 'CGNet':
        raise JpuifyError(CGNET.format(**backbone))
    kind, neck = model.get('type'), (model.get('neck') or {}).get('type')
    for field, value, convertible in (
        ('model.type', kind, kind in SEGMENTORS),
        ('model.backbone.type', backbone.get('type'), backbone.get('type')
         in STRIDE_32),
        ('model.backbone.dilations', backbone.get('dilations'),
         has_dilation_to_replace(model)),
        ('model.neck', neck, neck in (None, MMSEG_JPU)),
    ):
        if not convertible:
            raise JpuifyError(f'{field} is {value!r}: {CONVERTIBLE}')
