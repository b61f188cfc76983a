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
    :math:`(N, HW, K, C)` broadcasts). Everything else (SE loss, lateral
    branches, state-dict keys) is EncHead's.

    Args:
        bottleneck_kernel_size (int): Kernel size of the bottleneck conv on
            the last input; padding keeps the size. Default: 1.
        **kwargs: Arguments of :class:`EncHead`.

    Shape:
        - Input: the selected levels; the last is :math:`(N, C_{in}, H, W)`.
        - Output: seg logits :math:`(N, K, H, W)`, and with ``use_se_loss``
          also SE logits :math:`(N, K)`.
    """

    def __init__(self, bottleneck_kernel_size: int = 1, **kwargs):
        super().__init__(**kwargs)
        if bottleneck_kernel_size % 2 != 1:
            raise ValueError('FastFCNEncHead bottleneck_kernel_size must be '
                             f'odd, got {bottleneck_kernel_size}')
        self.bottleneck = ConvModule(
            self.in_channels[-1],
            self.channels,
            bottleneck_kernel_size,
            padding=bottleneck_kernel_size // 2,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self._use_matmul_encoding()

    def _use_matmul_encoding(self) -> None:
        """Swap the EncModule's Encoding layer for :class:`MatmulEncoding`
        with the same parameters."""
        encoding = self.enc_module.encoding[0]
        matmul_encoding = MatmulEncoding(encoding.channels, encoding.num_codes)
        matmul_encoding.load_state_dict(encoding.state_dict())
        self.enc_module.encoding[0] = matmul_encoding
