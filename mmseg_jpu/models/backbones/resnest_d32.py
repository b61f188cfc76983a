# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmseg.models.backbones import ResNeSt
from mmseg.registry import MODELS
from .no_dilation import RESNET_STRIDE_ARGS, refuse_stride_changing_args


@MODELS.register_module()
class ResNeStD32(ResNeSt):
    """ResNeSt with output stride 32 and no dilation: the FastFCN backbone
    for mmseg's ResNeSt models.

    mmseg's ``resnest/*-d8`` configs dilate the last two stages of
    :class:`mmseg.models.backbones.ResNeSt` (strides (1, 2, 1, 1),
    dilations (1, 1, 2, 4)); this is the same network with its ImageNet
    strides (1, 2, 2, 2) and no dilation, to be followed by
    :class:`JointPyramidUpsampling`. The arguments that would make it
    dilated (``strides``, ``dilations``, ``contract_dilation``,
    ``multi_grid``, ``num_stages``) are refused.

    Dilation does not change a layer's parameters, and the average pools
    that ResNeSt strides with have none, so the state-dict keys are those
    of ``ResNeSt`` (dilated or not): ImageNet checkpoints and the backbone
    of a trained dilated ResNeSt model load unchanged.

    Args:
        depth (int): Depth of the ResNeSt, one of 50, 101, 152, 200.
        out_indices (Sequence[int]): Stages to output, 0-based. The default
            (1, 2, 3) gives C3, C4, C5 at strides 8, 16 and 32.
        **kwargs: Other arguments of :class:`mmseg.models.backbones.ResNeSt`
            (``stem_channels`` (mmseg's ResNeSt-101 configs use 128),
            ``radix``, ``reduction_factor``, ``avg_down_stride``,
            ``norm_cfg``, ``norm_eval``, ``init_cfg``, ...).

    Shape:
        - Input: :math:`(N, 3, H, W)`.
        - Output: one tensor per ``out_indices`` entry ``i`` of shape
          :math:`(N, 256 \\cdot 2^i, \\lceil H / 2^{i+2} \\rceil,
          \\lceil W / 2^{i+2} \\rceil)`.
    """

    def __init__(self, depth: int, out_indices=(1, 2, 3), **kwargs):
        refuse_stride_changing_args('ResNeStD32', 'ResNeSt', 'ResNeSt',
                                    RESNET_STRIDE_ARGS, kwargs)
        super().__init__(depth=depth, out_indices=out_indices, **kwargs)
