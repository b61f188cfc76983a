# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from ..utils.input_channels import check_input_channels, feature_channels


@MODELS.register_module()
class JointPyramidUpsampling(BaseModule):
    """Joint Pyramid Upsampling (JPU) neck of FastFCN.

    `FastFCN: Rethinking Dilated Convolution in the Backbone for Semantic
    Segmentation <https://arxiv.org/abs/1903.11816>`_.

    Each input level goes through a 3x3 conv + norm + act to ``width``
    channels, the deeper levels are bilinearly resized to the size of the
    first (highest resolution) level and all are concatenated deepest first,
    as the official implementation does. Parallel depthwise separable 3x3
    convs (depthwise, norm, pointwise, norm, act), one per dilation rate,
    turn the concatenation into ``len(dilations) * width`` channels.

    The output keeps every input level, so auxiliary heads can still use
    the backbone features, and appends the JPU feature as the last level.
    With the default ResNet stages (C3, C4, C5) a decode head reads the JPU
    feature with ``in_index=3`` and an FCN auxiliary head reads C4 with
    ``in_index=1``.

    Args:
        in_channels (Sequence[int]): Channels of every input level, highest
            resolution first, as in mmseg's ``FPN`` and ``JPU``.
            Default: (512, 1024, 2048).
        start_level (int): Index of the first fused input; earlier inputs
            (e.g. C2 for DeepLabV3+'s low-level branch) are only passed
            through. At least two levels are fused. Default: 0.
        width (int): Channels of each level after its conv, and of each
            dilation branch. Default: 512.
        dilations (Sequence[int]): Dilation rate of each separable conv
            branch. Default: (1, 2, 4, 8).
        align_corners (bool): ``align_corners`` of the bilinear resize.
            The official FastFCN uses True. Default: True.
        conv_cfg (dict, optional): Config of conv layers. Default: None.
        norm_cfg (dict): Config of norm layers. Default: dict(type='BN').
        act_cfg (dict): Config of activation layers.
            Default: dict(type='ReLU').
        init_cfg (dict or list[dict], optional): Initialization config.
            Default: None.

    Shape:
        - Input: a sequence of ``len(in_channels)`` tensors, level ``i`` of
          shape :math:`(N, C_i, H_i, W_i)`, with :math:`H_0 \\ge H_1 \\ge ...`.
        - Output: a tuple of ``len(in_channels) + 1`` tensors, the inputs
          unchanged followed by the JPU feature of shape
          :math:`(N, len(dilations) * width, H_s, W_s)`, :math:`s` the
          ``start_level``.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024, 2048),
                 start_level: int = 0,
                 width: int = 512,
                 dilations: Sequence[int] = (1, 2, 4, 8),
                 align_corners: bool = True,
                 conv_cfg: ConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        self._check_args(in_channels, start_level, width, dilations)
        self.in_channels = tuple(in_channels)
        self.start_level = start_level
        self.fused_channels = self.in_channels[start_level:]
        self.width = width
        self.dilations = tuple(dilations)
        self.align_corners = align_corners
        self.out_channels = len(self.dilations) * width

        self.conv_layers = nn.ModuleList(
            ConvModule(
                channels,
                width,
                kernel_size=3,
                padding=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) for channels in self.fused_channels)
        self.dilation_layers = nn.ModuleList(
            DepthwiseSeparableConvModule(
                len(self.fused_channels) * width,
                width,
                kernel_size=3,
                padding=dilation,
                dilation=dilation,
                conv_cfg=conv_cfg,
                dw_norm_cfg=norm_cfg,
                dw_act_cfg=None,
                pw_norm_cfg=norm_cfg,
                pw_act_cfg=act_cfg) for dilation in self.dilations)

    @staticmethod
    def _check_args(in_channels, start_level, width, dilations):
        if not isinstance(in_channels, Sequence) or not all(
                isinstance(c, int) and c > 0 for c in in_channels):
            raise ValueError(
                'JointPyramidUpsampling in_channels must be a sequence of '
                'positive ints (the channels of every input level), got '
                f'{in_channels!r}')
        if not isinstance(start_level, int) or start_level < 0 or \
                len(in_channels) - start_level < 2:
            raise ValueError(
                'JointPyramidUpsampling needs at least two input levels to '
                'fuse: in_channels must list >= 2 levels from start_level on,'
                f' got in_channels={in_channels!r}, '
                f'start_level={start_level!r}')
        if not isinstance(width, int) or width <= 0:
            raise ValueError('JointPyramidUpsampling width must be a '
                             f'positive int, got {width!r}')
        if not isinstance(dilations, Sequence) or len(dilations) == 0 or \
                not all(isinstance(d, int) and d > 0 for d in dilations):
            raise ValueError('JointPyramidUpsampling dilations must be a '
                             'non-empty sequence of positive ints, got '
                             f'{dilations!r}')

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Fuse the input levels into a stride-of-the-first-level feature.

        Args:
            inputs (Sequence[Tensor]): Backbone levels, highest resolution
                first.

        Returns:
            tuple[Tensor]: ``inputs`` followed by the JPU feature.
        """
        check_input_channels(self.in_channels, feature_channels(inputs),
                             type(self).__name__, 'the backbone')
        fused_levels = inputs[self.start_level:]
        size = fused_levels[0].shape[2:]
        feats: List[Tensor] = []
        for level, conv in zip(reversed(fused_levels),
                               reversed(self.conv_layers)):
            feat = conv(level)
            if feat.shape[2:] != size:
                feat = F.interpolate(
                    feat,
                    size=size,
                    mode='bilinear',
                    align_corners=self.align_corners)
            feats.append(feat)
        fused = torch.cat(feats, dim=1)
        jpu_feat = torch.cat([branch(fused) for branch in self.dilation_layers],
                             dim=1)
        return (*inputs, jpu_feat)
