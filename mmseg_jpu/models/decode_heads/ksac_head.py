# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

#: How KSACHead combines its atrous branches.
BRANCH_FUSIONS = ('sum', 'concat')


@MODELS.register_module()
class KSACHead(BaseDecodeHead):
    """Kernel-Sharing Atrous Convolution (KSAC) head.

    `See More Than Once -- Kernel-Sharing Atrous Convolution for Semantic
    Segmentation <https://arxiv.org/abs/1908.09443>`_ (Huang et al., 2019).

    A drop-in for mmseg's :class:`ASPPHead` with the same keys and the same
    meaning of ``dilations``: the first entry (1) is the 1x1 branch, every
    other entry is the rate of an atrous 3x3 branch. Unlike ASPP, all atrous
    branches apply ONE 3x3 kernel (``shared_kernel``, shape
    ``(channels, in_channels, 3, 3)``) with their own dilation; each branch
    keeps its own norm layer and activation, so the rates share the weights
    but not the statistics. An image-pooling branch (as in ASPPHead) and the
    1x1 branch complete the module; the fused branches go through the 3x3
    ``bottleneck`` ConvModule and ``cls_seg``.

    The paper's abstract says that with separate kernels the parameters
    grow linearly with the number of branches, that sharing saves about a
    third of DeepLabV3+'s parameters (MobileNetV2) and that KSAC, unlike
    ASPP, gains from larger rates. It does not say how the branches are
    fused, so the fusion is an option:

    - ``'sum'`` (default): the atrous branches (each after its own norm and
      activation) are summed into one map, which is concatenated with the
      pooling and 1x1 branches: ``3 * channels`` bottleneck inputs whatever
      the number of rates, so an extra rate costs one norm layer only (the
      reading in which the parameters really stop growing with the
      branches; public re-implementations of the module fuse this way).
    - ``'concat'``: every branch is concatenated as in ASPPHead:
      ``(len(dilations) + 1) * channels`` bottleneck inputs; only the atrous
      kernels are shared.

    Args:
        dilations (Sequence[int]): 1 (the 1x1 branch) followed by the rates
            of the atrous branches, each >= 2. Default: (1, 6, 12, 18), the
            paper's rates at output stride 16 (double them at stride 8).
        fusion (str): How the branches are fused, ``'sum'`` or
            ``'concat'`` (see above). Default: 'sum'.
        **kwargs: Arguments of :class:`BaseDecodeHead` (``in_channels``,
            ``channels``, ``in_index``, ``num_classes``, ``norm_cfg``, ...).
            ``norm_cfg`` is required (each branch has its own norm layer);
            ``conv_cfg`` must be a plain convolution, because the shared
            kernel is applied with ``F.conv2d``.

    Shape:
        - Input: the selected level :math:`(N, C_{in}, H, W)`.
        - Output: :math:`(N, K, H, W)`, :math:`K` the number of classes.
    """

    def __init__(self,
                 dilations: Sequence[int] = (1, 6, 12, 18),
                 fusion: str = 'sum',
                 **kwargs):
        super().__init__(**kwargs)
        self._check_args(dilations, fusion, self.norm_cfg, self.conv_cfg)
        self.dilations = tuple(dilations)
        self.fusion = fusion
        conv = dict(
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            ConvModule(self.in_channels, self.channels, 1, **conv))
        self.pointwise_branch = ConvModule(self.in_channels, self.channels, 1,
                                           **conv)
        self.shared_kernel = nn.Parameter(
            torch.empty(self.channels, self.in_channels, 3, 3))
        self.atrous_norms = nn.ModuleList(
            build_norm_layer(self.norm_cfg, self.channels)[1]
            for _ in self.atrous_rates)
        self.atrous_acts = nn.ModuleList(
            build_activation_layer(self.act_cfg) for _ in self.atrous_rates)
        num_fused = 3 if fusion == 'sum' else len(self.dilations) + 1
        self.bottleneck = ConvModule(
            num_fused * self.channels, self.channels, 3, padding=1, **conv)
        self._init_shared_kernel()

    @property
    def atrous_rates(self) -> tuple:
        """The dilations of the shared 3x3 kernel (``dilations[1:]``)."""
        return self.dilations[1:]

    @staticmethod
    def _check_args(dilations, fusion, norm_cfg, conv_cfg):
        if not isinstance(dilations, Sequence) or len(dilations) < 2 or \
                not all(isinstance(d, int) for d in dilations) or \
                dilations[0] != 1 or min(dilations[1:]) < 2:
            raise ValueError(
                'KSACHead dilations must be 1 (the 1x1 branch, as in '
                'ASPPHead) followed by at least one atrous rate >= 2, e.g. '
                f'(1, 6, 12, 18); got {dilations!r}')
        if fusion not in BRANCH_FUSIONS:
            raise ValueError(f'KSACHead fusion must be one of {BRANCH_FUSIONS}, '
                             f'got {fusion!r}')
        if norm_cfg is None:
            raise ValueError(
                'KSACHead needs norm_cfg: each atrous branch normalizes the '
                "shared kernel's output with its own norm layer; set e.g. "
                "norm_cfg=dict(type='BN', requires_grad=True)")
        if conv_cfg is not None and conv_cfg.get('type') not in ('Conv',
                                                                 'Conv2d'):
            raise ValueError(
                'KSACHead applies its shared kernel with F.conv2d, so '
                f'conv_cfg={conv_cfg!r} cannot apply to it; use '
                'conv_cfg=None')

    def _init_shared_kernel(self) -> None:
        """Kaiming init, as mmcv's ConvModule initializes its convs."""
        nn.init.kaiming_normal_(
            self.shared_kernel, mode='fan_out', nonlinearity='relu')

    def atrous_branches(self, x: Tensor) -> List[Tensor]:
        """The shared kernel at every rate, each with its norm and act.

        Args:
            x (Tensor): The input level :math:`(N, C_{in}, H, W)`.

        Returns:
            list[Tensor]: One :math:`(N, C, H, W)` map per atrous rate.
        """
        return [
            act(norm(F.conv2d(x, self.shared_kernel, None, 1, rate, rate)))
            for rate, norm, act in zip(self.atrous_rates, self.atrous_norms,
                                       self.atrous_acts)
        ]

    def _forward_feature(self, inputs: List[Tensor]) -> Tensor:
        """The fused branches after the bottleneck, before ``cls_seg``.

        Args:
            inputs (list[Tensor]): Multi-level features.

        Returns:
            Tensor: :math:`(N, C, H, W)`, :math:`C` = ``channels``.
        """
        x = self._transform_inputs(inputs)
        pooled = F.interpolate(
            self.image_pool(x),
            size=x.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        atrous = self.atrous_branches(x)
        if self.fusion == 'sum':
            atrous = [sum(atrous[1:], atrous[0])]
        branches = [pooled, self.pointwise_branch(x), *atrous]
        return self.bottleneck(torch.cat(branches, dim=1))

    def forward(self, inputs: List[Tensor]) -> Tensor:
        return self.cls_seg(self._forward_feature(inputs))
