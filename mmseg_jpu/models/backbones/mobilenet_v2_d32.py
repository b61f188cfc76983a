# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmseg.models.backbones import MobileNetV2
from mmseg.registry import MODELS
from .no_dilation import refuse_stride_changing_args


@MODELS.register_module()
class MobileNetV2D32(MobileNetV2):
    """MobileNetV2 with output stride 32 and no dilation: the FastFCN
    backbone for mmseg's MobileNetV2 models.

    mmseg's ``mobilenet_v2/*-d8`` configs remove the stride of layers 4 and
    6 of :class:`mmseg.models.backbones.MobileNetV2` and dilate layers 4-7
    (strides (1, 2, 2, 1, 1, 1, 1), dilations (1, 1, 1, 2, 2, 4, 4)); this is
    the same network with its ImageNet strides (1, 2, 2, 2, 1, 2, 1) and no
    dilation, to be followed by :class:`JointPyramidUpsampling`. The
    arguments that would make it dilated (``strides``, ``dilations``) are
    refused. The state-dict keys are those of ``MobileNetV2``, so ImageNet
    checkpoints and the backbone of a trained d8 model load unchanged.

    Args:
        out_indices (Sequence[int]): Layers to output, 0-based (0-6). The
            default (1, 2, 4, 6), mmseg's, gives 24, 32, 96 and 320 channels
            (``widen_factor=1``) at strides 4, 8, 16 and 32.
        **kwargs: Other arguments of
            :class:`mmseg.models.backbones.MobileNetV2` (``widen_factor``,
            ``norm_cfg``, ``act_cfg``, ``frozen_stages``, ``init_cfg``, ...).

    Shape:
        - Input: :math:`(N, 3, H, W)`.
        - Output: one tensor per ``out_indices`` entry ``i``, of stride
          2, 4, 8, 16, 16, 32, 32 for ``i`` = 0..6 (height
          :math:`\\lceil H / stride \\rceil`, likewise the width).
    """

    def __init__(self, out_indices=(1, 2, 4, 6), **kwargs):
        refuse_stride_changing_args('MobileNetV2D32', 'MobileNetV2',
                                    'MobileNetV2', ('strides', 'dilations'),
                                    kwargs)
        super().__init__(out_indices=out_indices, **kwargs)
