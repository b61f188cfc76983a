# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Which dilated backbones jpuify replaces, and with what.

Each family maps mmseg's dilated classes to a stride-32 class registered by
this plugin with the same state-dict keys (dilation does not change a
layer's parameters): ``ResNet``/``ResNetV1c``/``ResNetV1d`` to
``ResNetD32``, ``ResNeSt`` to ``ResNeStD32``, ``MobileNetV2`` to
``MobileNetV2D32``. The stride-32 config is the source's with only the
stride-changing keys removed, so nothing else (norm, stem, frozen stages,
init) is lost.
"""
from dataclasses import dataclass, field
from typing import Dict, Sequence

from mmengine.config import ConfigDict

from mmseg_jpu.models.backbones.no_dilation import RESNET_STRIDE_ARGS
from .errors import JpuifyError

DOCS = 'docs/jpuify.md'


@dataclass(frozen=True)
class Stride32Family:
    """How to turn a dilated backbone of one family into its stride-32
    version.

    Args:
        target (str): The stride-32 class.
        stride_args (Sequence[str]): Keys removed from the source config.
        num_stages (int): Stages of the backbone (``out_indices`` range).
        fixed (dict): Per source type, the arguments its class sets in
            ``__init__`` that the target needs explicitly (e.g. ``ResNetV1d``
            means ``deep_stem=True, avg_down=True``).
    """
    target: str
    stride_args: Sequence[str]
    num_stages: int
    fixed: Dict[str, dict] = field(default_factory=dict)

    def stride32(self, backbone: ConfigDict,
                 out_indices: Sequence[int]) -> ConfigDict:
        """The stride-32 config of ``backbone`` with ``out_indices``."""
        if self.target == 'ResNetD32' and backbone.get('num_stages', 4) != 4:
            raise JpuifyError(
                f'model.backbone.num_stages={backbone.num_stages}: '
                'ResNetD32 has the 4 stages of an ImageNet ResNet; set '
                'num_stages=4 in the source config to convert it')
        config = ConfigDict({
            key: value
            for key, value in backbone.items()
            if key not in self.stride_args and key != 'type'
        })
        config.update(self.fixed.get(backbone.type, {}))
        if backbone.type == 'ResNet':  # mmseg's ResNet has no deep stem
            config.deep_stem = backbone.get('deep_stem', False)
        config.out_indices = tuple(out_indices)
        return ConfigDict(type=self.target, **config)

    def all_stages(self, backbone: ConfigDict) -> ConfigDict:
        """The stride-32 config outputting every stage (to probe them)."""
        return self.stride32(backbone, range(self.num_stages))


_RESNETS = Stride32Family(
    'ResNetD32',
    RESNET_STRIDE_ARGS,
    4,
    fixed={
        'ResNetV1c': {},
        'ResNetV1d': dict(avg_down=True),
    })
FAMILIES: Dict[str, Stride32Family] = {
    'ResNet': _RESNETS,
    'ResNetV1c': _RESNETS,
    'ResNetV1d': _RESNETS,
    'ResNeSt': Stride32Family('ResNeStD32', RESNET_STRIDE_ARGS, 4),
    'MobileNetV2': Stride32Family('MobileNetV2D32', ('strides', 'dilations'),
                                  7),
}
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
    dilations = backbone.get('dilations') or ()
    return any(d > 1 for d in dilations)


def family_of(backbone: ConfigDict) -> Stride32Family:
    """The family of a dilated backbone config.

    Raises:
        JpuifyError: If jpuify has no stride-32 version of it, saying why
            and what to do.
    """
    kind = backbone.get('type')
    if kind in FAMILIES:
        return FAMILIES[kind]
    if kind in OWN_DESIGN:
        raise JpuifyError(OWN_DESIGN[kind].format(**backbone))
    known = ', '.join(sorted(FAMILIES))
    raise JpuifyError(
        f'backbone {kind!r} has no stride-32 version in mmseg_jpu (jpuify '
        f'converts the dilated {known}). Write its undilated version and add '
        f'JointPyramidUpsampling by hand, as {DOCS} shows')


def refuse_undilated(backbone: ConfigDict) -> None:
    """Raise for a backbone that is not dilated: there is nothing to do."""
    kind = backbone.get('type')
    if kind in FAMILIES:
        reason = (f'backbone {kind!r} is not dilated: it already runs at '
                  'output stride 32')
    else:
        reason = (f'backbone {kind!r} is not a dilated backbone (jpuify '
                  'replaces dilated ' + ', '.join(sorted(FAMILIES)) + ')')
    raise JpuifyError(
        f'{reason}; nothing to convert. To add JPU to it anyway, follow "Use '
        f'JPU in your own configs" in {DOCS}')
