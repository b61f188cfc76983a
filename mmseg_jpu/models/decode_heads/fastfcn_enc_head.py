# Copyright (c) mmseg_jpu contributors. All rights reserved.
import torch.nn as nn
from mmcv.cnn import ConvModule, build_norm_layer

from mmseg.models.decode_heads import EncHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.enc_head import EncModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from ..utils.matmul_encoding import MatmulEncoding


def _norm_1d_cfg(norm_cfg: ConfigType) -> ConfigType:
    """The 1-d norm that mmseg's EncModule puts after the Encoding layer."""
    if norm_cfg is None:
        return dict(type='BN1d')
    norm_1d_cfg = dict(norm_cfg)
    if norm_1d_cfg['type'] in ('BN', 'IN'):
        norm_1d_cfg['type'] += '1d'
    else:
        norm_1d_cfg['type'] = norm_1d_cfg['type'].replace('2d', '1d')
    return norm_1d_cfg


class MatmulEncModule(EncModule):
    """mmseg's :class:`EncModule` built with :class:`MatmulEncoding`.

    The same layers, state-dict keys and forward as ``EncModule``, whose
    constructor hard-codes mmseg's ``Encoding``; this one builds them with
    the matrix-product Encoding instead.

    Args:
        in_channels (int): Input channels.
        num_codes (int): Number of code words.
        conv_cfg (dict | None): Config of conv layers.
        norm_cfg (dict | None): Config of norm layers.
        act_cfg (dict): Config of activation layers.
    """

    def __init__(self, in_channels: int, num_codes: int,
                 conv_cfg: ConfigType, norm_cfg: ConfigType,
                 act_cfg: ConfigType):
        nn.Module.__init__(self)
        self.encoding_project = ConvModule(
            in_channels,
            in_channels,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.encoding = nn.Sequential(
            MatmulEncoding(channels=in_channels, num_codes=num_codes),
            build_norm_layer(_norm_1d_cfg(norm_cfg), num_codes)[1],
            nn.ReLU(inplace=True))
        self.fc = nn.Sequential(
            nn.Linear(in_channels, in_channels), nn.Sigmoid())


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
    Forward, SE loss, lateral branches and state-dict keys are EncHead's;
    the layers are built here because ``EncHead.__init__`` hard-codes the
    3x3 bottleneck and mmseg's Encoding.

    Args:
        bottleneck_kernel_size (int): Kernel size (odd) of the bottleneck
            conv on the last input; padding keeps the size. Default: 1.
        num_codes (int): Number of code words. Default: 32.
        use_se_loss (bool): Whether to add the Semantic Encoding loss.
            Default: True.
        add_lateral (bool): Whether to fuse the other inputs through lateral
            convs. Default: False.
        loss_se_decode (dict): Config of the SE loss.
            Default: sigmoid cross-entropy with weight 0.2.
        **kwargs: Arguments of :class:`BaseDecodeHead`.

    Shape:
        - Input: the selected levels; the last is :math:`(N, C_{in}, H, W)`.
        - Output: seg logits :math:`(N, K, H, W)`, and with ``use_se_loss``
          also SE logits :math:`(N, K)`.
    """

    def __init__(self,
                 bottleneck_kernel_size: int = 1,
                 num_codes: int = 32,
                 use_se_loss: bool = True,
                 add_lateral: bool = False,
                 loss_se_decode: ConfigType = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=0.2),
                 **kwargs):
        if not isinstance(bottleneck_kernel_size, int) or \
                bottleneck_kernel_size % 2 != 1:
            raise ValueError('FastFCNEncHead bottleneck_kernel_size must be '
                             f'an odd int, got {bottleneck_kernel_size!r}')
        BaseDecodeHead.__init__(
            self, input_transform='multiple_select', **kwargs)
        self.use_se_loss = use_se_loss
        self.add_lateral = add_lateral
        self.num_codes = num_codes
        self.bottleneck = self._conv(self.in_channels[-1],
                                     bottleneck_kernel_size)
        if add_lateral:
            self.lateral_convs = nn.ModuleList(
                self._conv(channels, 1) for channels in self.in_channels[:-1])
            self.fusion = self._conv(
                len(self.in_channels) * self.channels, 3)
        self.enc_module = MatmulEncModule(
            self.channels,
            num_codes=num_codes,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        if use_se_loss:
            self.loss_se_decode = MODELS.build(loss_se_decode)
            self.se_layer = nn.Linear(self.channels, self.num_classes)

    def _conv(self, in_channels: int, kernel_size: int) -> ConvModule:
        """Conv + norm + act to ``channels``, keeping the size."""
        return ConvModule(
            in_channels,
            self.channels,
            kernel_size,
            padding=kernel_size // 2,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
