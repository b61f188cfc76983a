# Copyright (c) mmseg_jpu contributors. All rights reserved.
import re

from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS
from .no_dilation import RESNET_STRIDE_ARGS, refuse_stride_changing_args

#: mmpretrain's deep stem is three ConvModules: ``stem.{i}.conv``/``.bn``.
MMPRETRAIN_STEM_KEY = re.compile(r'stem\.(\d)\.(conv|bn)\.')


def mmseg_stem_key(key: str) -> str:
    """Rename an mmpretrain deep-stem key to mmseg's layout, in which the
    stem is one Sequential (conv, bn, relu) x 3: ``stem.{i}.conv.*`` becomes
    ``stem.{3i}.*`` and ``stem.{i}.bn.*`` becomes ``stem.{3i+1}.*``. Other
    keys are returned unchanged."""
    match = MMPRETRAIN_STEM_KEY.search(key)
    if match is None:
        return key
    index = 3 * int(match.group(1)) + (match.group(2) == 'bn')
    return key[:match.start()] + f'stem.{index}.' + key[match.end():]


def rename_mmpretrain_stem(module, state_dict, prefix, *args) -> None:
    """Load-state-dict pre-hook: rename the module's mmpretrain deep-stem
    keys (under ``prefix``) in ``state_dict`` to mmseg's layout."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        renamed = prefix + mmseg_stem_key(key[len(prefix):])
        if renamed != key:
            state_dict[renamed] = state_dict.pop(key)


@MODELS.register_module()
class ResNetD32(ResNet):
    """ResNet with output stride 32 and no dilation, as FastFCN uses it.

    FastFCN keeps the plain ImageNet ResNet (strides (1, 2, 2, 2), dilation 1
    in every stage) and recovers a stride-8 feature with
    :class:`JointPyramidUpsampling`. The arguments that would make the
    backbone dilated (``strides``, ``dilations``, ``contract_dilation``,
    ``multi_grid``, ``num_stages``) are therefore refused.

    With the default deep stem this is mmseg's ``ResNetV1c`` without
    dilation: the state-dict keys are the same, so ImageNet checkpoints for
    ``ResNetV1c`` load through ``init_cfg=dict(type='Pretrained', ...)``.
    Checkpoints of mmpretrain's ``ResNetV1c`` load too (with
    ``prefix='backbone.'``): their stem keys are renamed on loading.
    ``stem_channels=128`` gives the stem of the official FastFCN ResNet
    (3x3 convs 3->64->64->128, then 128 channels into ``layer1``).

    Args:
        depth (int): Depth of the ResNet, one of 18, 34, 50, 101, 152.
        stem_channels (int): Channels of the stem output. Default: 64.
        out_indices (Sequence[int]): Stages to output, 0-based. The default
            (1, 2, 3) gives C3, C4, C5 at strides 8, 16 and 32.
        deep_stem (bool): Three 3x3 convs instead of one 7x7 conv in the
            stem, as in ResNetV1c. Default: True.
        **kwargs: Other arguments of :class:`mmseg.models.backbones.ResNet`
            (``norm_cfg``, ``norm_eval``, ``frozen_stages``, ``with_cp``,
            ``init_cfg``, ...).

    Shape:
        - Input: :math:`(N, 3, H, W)`.
        - Output: one tensor per ``out_indices`` entry ``i`` of shape
          :math:`(N, C_i, \\lceil H / 2^{i+2} \\rceil,
          \\lceil W / 2^{i+2} \\rceil)`.
    """

    def __init__(self,
                 depth: int,
                 stem_channels: int = 64,
                 out_indices=(1, 2, 3),
                 deep_stem: bool = True,
                 **kwargs):
        refuse_stride_changing_args('ResNetD32', 'ResNet', 'ResNetV1c',
                                    RESNET_STRIDE_ARGS, kwargs)
        super().__init__(
            depth=depth,
            stem_channels=stem_channels,
            out_indices=out_indices,
            deep_stem=deep_stem,
            **kwargs)
        if self.deep_stem:
            self.register_load_state_dict_pre_hook(rename_mmpretrain_stem)
