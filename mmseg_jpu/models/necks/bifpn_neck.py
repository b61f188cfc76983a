# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""ESeg's neck: the backbone levels plus pooled levels up to P9, fused by
BiFPN layers (``bifpn_layer.py``, ``weighted_fusion.py``)."""
from typing import List, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from ..utils.input_channels import check_input_channels, feature_channels
from .bifpn_layer import BiFPNLayer, downsample


@MODELS.register_module()
class BiFPNNeck(BaseModule):
    """ESeg's multi-scale fusion: backbone levels plus extra stride-2 levels
    (up to P9) fused by repeated BiFPN layers.

    `Revisiting Multi-Scale Feature Fusion for Semantic Segmentation
    <https://arxiv.org/abs/2203.12683>`_ (ESeg, Meng et al., 2022), with the
    BiFPN of `EfficientDet <https://arxiv.org/abs/1911.09070>`_.

    The inputs from ``start_level`` on (C3, C4, C5 of a ResNet) are
    projected to ``width`` channels by a 1x1 conv + norm; extra levels are
    made by 3x3 stride-2 max pooling of the deepest projected level until
    there are ``num_outs`` levels (C3..C5 plus P6..P9 = 7 levels, P9 at
    1/512 of the input); ``num_repeats`` :class:`BiFPNLayer` then fuse them
    top-down and bottom-up. There is no dilated convolution and no level
    finer than the first input. A decode head combines the outputs, e.g.
    mmseg's ``SegformerHead``, which resizes every level to the first
    (P3) and fuses the concatenation with a 1x1 conv.

    Paper values and choices: EfficientDet scales the BiFPN as width
    :math:`64 \\cdot 1.35^\\phi` and :math:`3 + \\phi` layers (D0: 64 / 3,
    D1: 88 / 4, D2: 112 / 5, D3: 160 / 6, D4: 224 / 7, D5: 288 / 7, D6 and
    D7: 384 / 8) with fast normalized fusion and swish; ESeg's abstract
    gives the P3..P9 levels and the BiFPN, not its widths. The defaults
    here are EfficientDet-D3's 160 channels and 6 layers. Two
    simplifications: each input is projected once (EfficientDet's first
    layer projects C4 and C5 a second time for the bottom-up path), and P6
    is pooled from the projected C5 (EfficientDet projects C5 separately
    for P6). Upsampling is bilinear (EfficientDet: nearest), so
    ``align_corners`` matches the rest of an mmseg model.

    Args:
        in_channels (Sequence[int]): Channels of every input level, highest
            resolution first (as mmseg's ``FPN``). Default: (512, 1024,
            2048).
        width (int): Channels of every BiFPN level. Default: 160.
        num_outs (int): Number of output levels, the used inputs plus the
            extra pooled levels; 7 gives P3..P9 from C3..C5. Default: 7.
        start_level (int): Index of the first input that is used; earlier
            inputs are ignored (as in mmseg's ``FPN``). Default: 0.
        num_repeats (int): Number of BiFPN layers. Default: 6.
        fusion (str): How each node fuses its inputs: ``'fast_normalized'``
            (EfficientDet), ``'softmax'`` or ``'sum'`` (no weights).
            Default: 'fast_normalized'.
        align_corners (bool): ``align_corners`` of the bilinear resizes.
            Default: False.
        conv_cfg (dict, optional): Config of conv layers. Default: None.
        norm_cfg (dict): Config of norm layers. Default: dict(type='BN').
        act_cfg (dict): Activation of the BiFPN nodes.
            Default: dict(type='SiLU') (swish).
        init_cfg (dict or list[dict], optional): Initialization config.
            Default: None.

    Shape:
        - Input: ``len(in_channels)`` tensors, level ``i`` of shape
          :math:`(N, C_i, H_i, W_i)`, each about half the previous size.
        - Output: a tuple of ``num_outs`` tensors
          :math:`(N, width, H'_j, W'_j)`, the first of the size of input
          ``start_level``, each next one :math:`\\lceil 1/2 \\rceil` of the
          previous for the pooled levels.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024, 2048),
                 width: int = 160,
                 num_outs: int = 7,
                 start_level: int = 0,
                 num_repeats: int = 6,
                 fusion: str = 'fast_normalized',
                 align_corners: bool = False,
                 conv_cfg: ConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        self._check_args(in_channels, width, num_outs, start_level,
                         num_repeats)
        self.in_channels = tuple(in_channels)
        self.width = width
        self.num_outs = num_outs
        self.start_level = start_level
        self.fusion = fusion
        self.align_corners = align_corners
        self.laterals = nn.ModuleList(
            ConvModule(
                channels,
                width,
                1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=None) for channels in self.in_channels[start_level:])
        self.layers = nn.ModuleList(
            BiFPNLayer(
                num_outs,
                width,
                fusion=fusion,
                align_corners=align_corners,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) for _ in range(num_repeats))

    @staticmethod
    def _check_args(in_channels, width, num_outs, start_level, num_repeats):
        if not isinstance(in_channels, Sequence) or not in_channels or \
                not all(isinstance(c, int) and c > 0 for c in in_channels):
            raise ValueError(
                'BiFPNNeck in_channels must be a non-empty sequence of '
                f'positive ints (the backbone output channels), got '
                f'{in_channels!r}')
        if not isinstance(start_level, int) or \
                not 0 <= start_level < len(in_channels):
            raise ValueError(
                f'BiFPNNeck start_level must index in_channels (0 .. '
                f'{len(in_channels) - 1}), got {start_level!r}')
        used = len(in_channels) - start_level
        if not isinstance(num_outs, int) or num_outs < max(2, used):
            raise ValueError(
                'BiFPNNeck num_outs counts the used inputs plus the extra '
                f'levels: it must be an int >= {max(2, used)} here, got '
                f'{num_outs!r}')
        if not isinstance(width, int) or width <= 0:
            raise ValueError(
                f'BiFPNNeck width must be a positive int, got {width!r}')
        if not isinstance(num_repeats, int) or num_repeats < 1:
            raise ValueError('BiFPNNeck num_repeats (BiFPN layers) must be '
                             f'an int >= 1, got {num_repeats!r}')

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Project, add the pooled levels and run the BiFPN layers.

        Args:
            inputs (Sequence[Tensor]): Backbone levels, highest resolution
                first.

        Returns:
            tuple[Tensor]: ``num_outs`` levels of ``width`` channels.
        """
        check_input_channels(self.in_channels, feature_channels(inputs),
                             type(self).__name__, 'the backbone')
        feats: List[Tensor] = [
            lateral(x)
            for lateral, x in zip(self.laterals, inputs[self.start_level:])
        ]
        while len(feats) < self.num_outs:
            feats.append(downsample(feats[-1]))
        for layer in self.layers:
            feats = layer(feats)
        return tuple(feats)
