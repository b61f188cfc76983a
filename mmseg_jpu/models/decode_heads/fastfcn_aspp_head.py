# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import List, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor

from mmseg.models.decode_heads import ASPPHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS


@MODELS.register_module()
class FastFCNASPPHead(ASPPHead):
    """DeepLabV3 head in the layout of the official FastFCN code.

    It differs from mmseg's :class:`ASPPHead` in three ways: the image
    pooling branch comes last in the concatenation, the concatenation goes
    through a 1x1 projection (+ Dropout2d 0.5) and then a 3x3 conv, and the
    official model uses 256 channels and rates (12, 24, 36). ASPPHead builds
    the branches (``aspp_modules``, ``image_pool``); this class adds the
    ``project`` layers and replaces the ``bottleneck``.

    Args:
        dilations (Sequence[int]): Rates of the 3x3 atrous branches, each
            >= 2; a 1x1 branch and an image pooling branch are always added.
            Default: (12, 24, 36).
        project_dropout_ratio (float): Dropout2d after the projection.
            Default: 0.5.
        **kwargs: Arguments of :class:`BaseDecodeHead` (``in_channels``,
            ``channels``, ``num_classes``, ``dropout_ratio``, ...).

    Shape:
        - Input: the selected level :math:`(N, C_{in}, H, W)`.
        - Output: :math:`(N, K, H, W)`.
    """

    def __init__(self,
                 dilations: Sequence[int] = (12, 24, 36),
                 project_dropout_ratio: float = 0.5,
                 **kwargs):
        if any(rate < 2 for rate in dilations):
            raise ValueError(
                'FastFCNASPPHead dilations are the rates of the 3x3 atrous '
                'branches (the 1x1 branch is always added): each must be '
                f'>= 2, got {tuple(dilations)}')
        super().__init__(dilations=(1, *dilations), **kwargs)
        conv = dict(
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.project = ConvModule((len(dilations) + 2) * self.channels,
                                  self.channels, 1, **conv)
        self.project_dropout = nn.Dropout2d(project_dropout_ratio)
        self.bottleneck = ConvModule(
            self.channels, self.channels, 3, padding=1, **conv)

    def _forward_feature(self, inputs: List[Tensor]) -> Tensor:
        """The feature before the classifier, as mmseg's heads name it.

        Args:
            inputs (list[Tensor]): Multi-level features.

        Returns:
            Tensor: :math:`(N, channels, H, W)`.
        """
        x = self._transform_inputs(inputs)
        pooled = resize(
            self.image_pool(x),
            size=x.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        branches = [*self.aspp_modules(x), pooled]
        feat = self.project_dropout(self.project(torch.cat(branches, dim=1)))
        return self.bottleneck(feat)
