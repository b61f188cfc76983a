# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""One BiFPN layer of ESeg's neck (:class:`~.bifpn_neck.BiFPNNeck`)."""
from typing import List, Optional, Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.utils import ConfigType
from .weighted_fusion import WeightedFusion


def downsample(x: Tensor,
               size: Optional[Sequence[int]] = None,
               align_corners: bool = False) -> Tensor:
    """Halve ``x`` with a 3x3 stride-2 max pooling (EfficientDet's
    resampling), then resize it to ``size`` if that differs (backbones
    whose stride-2 layers round differently).

    Args:
        x (Tensor): :math:`(N, C, H, W)`.
        size (Sequence[int], optional): The wanted :math:`(H', W')`.
            Default: None, :math:`(\\lceil H/2 \\rceil, \\lceil W/2 \\rceil)`.
        align_corners (bool): ``align_corners`` of the bilinear resize.

    Returns:
        Tensor: :math:`(N, C, H', W')`.
    """
    pooled = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
    if size is None or pooled.shape[2:] == tuple(size):
        return pooled
    return F.interpolate(
        pooled, size=tuple(size), mode='bilinear', align_corners=align_corners)


class BiFPNLayer(BaseModule):
    """One bidirectional feature pyramid layer (BiFPN) of `EfficientDet
    <https://arxiv.org/abs/1911.09070>`_.

    A top-down path fuses each level with the upsampled level above it,
    from the second deepest level down to the first; a bottom-up path then
    fuses each level's input, its top-down node and the downsampled output
    of the level below (the deepest level: its input and the level below).
    Every node is a :class:`WeightedFusion`, an activation and a depthwise
    separable 3x3 conv with a norm layer after the pointwise conv
    (EfficientDet's order). Resizing uses each target level's own size, so
    odd input sizes work.

    Args:
        num_levels (int): Number of pyramid levels, at least 2.
        width (int): Channels of every level.
        fusion (str): Fusion of each node, see :class:`WeightedFusion`.
            Default: 'fast_normalized'.
        align_corners (bool): ``align_corners`` of the bilinear resizes.
            Default: False.
        conv_cfg (dict, optional): Config of conv layers. Default: None.
        norm_cfg (dict): Config of norm layers. Default: dict(type='BN').
        act_cfg (dict): Config of the activation before each node's conv.
            Default: dict(type='SiLU') (swish, as in EfficientDet).
        init_cfg (dict or list[dict], optional): Initialization config.
            Default: None.

    Shape:
        - Input: ``num_levels`` tensors :math:`(N, width, H_i, W_i)`, each
          level about half the size of the previous one.
        - Output: a list of ``num_levels`` tensors of the same shapes.
    """

    def __init__(self,
                 num_levels: int,
                 width: int,
                 fusion: str = 'fast_normalized',
                 align_corners: bool = False,
                 conv_cfg: ConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_levels = num_levels
        self.align_corners = align_corners
        node_conv = dict(
            width=width, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        # top-down nodes of levels 0 .. num_levels - 2
        self.top_down_fusions = nn.ModuleList(
            WeightedFusion(2, fusion) for _ in range(num_levels - 1))
        self.top_down_convs = nn.ModuleList(
            self._node_conv(**node_conv) for _ in range(num_levels - 1))
        # bottom-up nodes of levels 1 .. num_levels - 1
        self.bottom_up_fusions = nn.ModuleList(
            WeightedFusion(3 if level < num_levels - 1 else 2, fusion)
            for level in range(1, num_levels))
        self.bottom_up_convs = nn.ModuleList(
            self._node_conv(**node_conv) for _ in range(1, num_levels))

    @staticmethod
    def _node_conv(width, conv_cfg, norm_cfg, act_cfg):
        """act -> depthwise 3x3 -> pointwise 1x1 -> norm, no biases (the
        norm would cancel them)."""
        return DepthwiseSeparableConvModule(
            width,
            width,
            kernel_size=3,
            padding=1,
            bias=False,
            conv_cfg=conv_cfg,
            dw_norm_cfg=None,
            dw_act_cfg=act_cfg,
            pw_norm_cfg=norm_cfg,
            pw_act_cfg=None,
            order=('act', 'conv', 'norm'),
            inplace=False)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Fuse the levels top-down, then bottom-up.

        Args:
            feats (Sequence[Tensor]): The levels, highest resolution first.

        Returns:
            list[Tensor]: The fused levels, same shapes as ``feats``.
        """
        top_down = list(feats)
        for level in range(self.num_levels - 2, -1, -1):
            upsampled = F.interpolate(
                top_down[level + 1],
                size=feats[level].shape[2:],
                mode='bilinear',
                align_corners=self.align_corners)
            fused = self.top_down_fusions[level]([feats[level], upsampled])
            top_down[level] = self.top_down_convs[level](fused)

        outs = [top_down[0]]
        for level in range(1, self.num_levels):
            downsampled = downsample(outs[-1], feats[level].shape[2:],
                                     self.align_corners)
            inputs = [feats[level], downsampled]
            if level < self.num_levels - 1:
                inputs.insert(1, top_down[level])
            fused = self.bottom_up_fusions[level - 1](inputs)
            outs.append(self.bottom_up_convs[level - 1](fused))
        return outs
