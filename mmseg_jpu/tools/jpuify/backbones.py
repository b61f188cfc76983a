# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Which dilated backbones jpuify replaces, and with what.

mmseg's ``ResNet``/``ResNetV1c``/``ResNetV1d`` become ``ResNetD32``,
``ResNeSt`` becomes ``ResNeStD32``, ``MobileNetV2`` becomes
``MobileNetV2D32``: stride-32 classes registered by this plugin with the
state-dict keys of mmseg's (dilation does not change a layer's parameters).
The stride-32 config is the source's with only the stride-changing keys
removed, so nothing else (norm, stem, frozen stages, init) is lost.
"""
from typing import Sequence

from mmengine.config import ConfigDict

from mmseg_jpu.models.backbones.no_dilation import RESNET_STRIDE_ARGS
from .errors import JpuifyError

DOCS = 'docs/jpuify.md'
#: dilated class -> (stride-32 class, keys that change the stride, stages)
STRIDE_32 = {
    'ResNet': ('ResNetD32', RESNET_STRIDE_ARGS, 4),
    'ResNetV1c': ('ResNetD32', RESNET_STRIDE_ARGS, 4),
    'ResNetV1d': ('ResNetD32', RESNET_STRIDE_ARGS, 4),
    'ResNeSt': ('ResNeStD32', RESNET_STRIDE_ARGS, 4),
    'MobileNetV2': ('MobileNetV2D32', ('strides', 'dilations'), 7),
}
#: what a dilated class implies that its stride-32 class must be told
#: (``ResNetV1d`` sets ``avg_down``; mmseg's ``ResNet`` has no deep stem)
IMPLIED = {'ResNet': dict(deep_stem=False), 'ResNetV1d': dict(avg_down=True)}
#: backbones whose dilations are part of their design, not a stride-8
#: variant of a stride-32 network: why jpuify leaves them alone
OWN_DESIGN = {
    'CGNet':
    "CGNet's dilations {dilations} are the surrounding-context rates of its "
    'Context Guided blocks and it has no stride-32 stage: it is a 3-stage '
    'network designed to end at output stride 8, so there is no dilated '
    'stage for JPU to replace. Use the CGNet config as it is (it is already '
    'a real-time model), or jpuify a ResNet, ResNeSt or MobileNetV2 config '
    'of the same method',
}


def is_dilated(backbone: ConfigDict) -> bool:
    """Whether any stage of the backbone config is dilated."""
    return any(d > 1 for d in backbone.get('dilations') or ())


def check_convertible(backbone: ConfigDict) -> None:
    """Raise, saying why and what to do, unless jpuify has a stride-32
    version of this dilated backbone config."""
    kind = backbone.get('type')
    if kind in OWN_DESIGN:
        raise JpuifyError(OWN_DESIGN[kind].format(**backbone))
    if kind not in STRIDE_32:
        raise JpuifyError(
            f'backbone {kind!r} has no stride-32 version in mmseg_jpu (jpuify '
            f'converts the dilated {", ".join(sorted(STRIDE_32))}). Write its '
            'undilated version and add JointPyramidUpsampling by hand, as '
            f'{DOCS} shows')
    if STRIDE_32[kind][0] == 'ResNetD32' and backbone.get('num_stages',
                                                          4) != 4:
        raise JpuifyError(
            f'model.backbone.num_stages={backbone.num_stages}: ResNetD32 has '
            'the 4 stages of an ImageNet ResNet; set num_stages=4 in the '
            'source config to convert it')


def stride32(backbone: ConfigDict,
             out_indices: Sequence[int] = None) -> ConfigDict:
    """The stride-32 config of ``backbone`` (every stage by default)."""
    target, stride_args, num_stages = STRIDE_32[backbone.type]
    config = ConfigDict(IMPLIED.get(backbone.type, {}))
    config.update({
        key: value
        for key, value in backbone.items()
        if key not in stride_args and key != 'type'
    })
    config.out_indices = tuple(
        range(num_stages) if out_indices is None else out_indices)
    return ConfigDict(type=target, **config)


def refuse_undilated(backbone: ConfigDict) -> None:
    """Raise for a backbone that is not dilated: there is nothing to do."""
    kind = backbone.get('type')
    if kind in STRIDE_32:
        reason = (f'backbone {kind!r} is not dilated: it already runs at '
                  'output stride 32')
    else:
        reason = (f'backbone {kind!r} is not a dilated backbone (jpuify '
                  'replaces dilated ' + ', '.join(sorted(STRIDE_32)) + ')')
    raise JpuifyError(
        f'{reason}; nothing to convert. To add JPU to it anyway, follow "Use '
        f'JPU in your own configs" in {DOCS}')
