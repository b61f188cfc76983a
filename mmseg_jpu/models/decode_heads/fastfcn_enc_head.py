# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmcv.cnn import ConvModule

from mmseg.models.decode_heads import EncHead
from mmseg.registry import MODELS
from ..utils.matmul_encoding import MatmulEncoding


@MODELS.register_module()
class FastFCNEncHead(EncHead):
    """mmseg's :class:`EncHead` with a configurable bottleneck kernel and a
    faster Encoding layer.

    The official EncNet+JPU of FastFCN reduces the 2048-channel JPU feature
    with a 1x1 conv + BN + ReLU (``conv5``), where mmseg's EncHead always
    uses a 3x3 conv. The Encoding layer is :class:`MatmulEncoding` (the same
    parameters and result, computed with matrix products instead of
    :math:`(N, HW, K, C)` broadcasts). With ``bottleneck_kernel_size=3`` it
    is mmseg's EncHead computed faster, for like-for-like comparisons.
    EncHead builds the head; this class replaces its ``bottleneck`` and the
    Encoding layer in ``enc_module.encoding``, so forward, SE loss, lateral
    branches and state-dict keys are EncHead's.

    Args:
        bottleneck_kernel_size (int): Kernel size (odd) of the bottleneck
            conv on the last input; padding keeps the size. Default: 1.
        **kwargs: Arguments of :class:`EncHead` (``num_codes``,
            ``use_se_loss``, ``add_lateral``, ``loss_se_decode``) and of
            :class:`BaseDecodeHead`.

    Shape:
        - Input: the selected levels; the last is :math:`(N, C_{in}, H, W)`.
        - Output: seg logits :math:`(N, K, H, W)`, and with ``use_se_loss``
          also SE logits :math:`(N, K)`.
    """

    def __init__(self, bottleneck_kernel_size: int = 1, **kwargs):
        if not isinstance(bottleneck_kernel_size, int) or \
                bottleneck_kernel_size % 2 != 1:
            raise ValueError('FastFCNEncHead bottleneck_kernel_size must be '
                             f'an odd int, got {bottleneck_kernel_size!r}')
        super().__init__(**kwargs)
        self.bottleneck = ConvModule(
            self.in_channels[-1],
            self.channels,
            bottleneck_kernel_size,
            padding=bottleneck_kernel_size // 2,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.enc_module.encoding[0] = MatmulEncoding(
            channels=self.channels, num_codes=self.num_codes)
