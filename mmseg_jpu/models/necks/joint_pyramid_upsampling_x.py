# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from ..utils.input_channels import check_input_channels, feature_channels


class JointUpsamplingModule(BaseModule):
    """One joint upsampling step (JUM) of :class:`JointPyramidUpsamplingX`.

    The deeper (lower resolution) input goes through a 3x3 conv and is
    resized to the size of the shallower input's 3x3 conv; the two are
    concatenated and fed to depthwise separable branches, one per dilation.

    Returns:
        Tensor: ``cat([deeper, *branches])`` with
        ``(1 + len(dilations)) * width`` channels at the shallower size.
    """

    def __init__(self, deep_channels: int, shallow_channels: int, width: int,
                 dilations: Sequence[int], align_corners: bool,
                 conv_cfg: ConfigType, norm_cfg: ConfigType,
                 branch_norm_cfg: ConfigType, act_cfg: ConfigType):
        super().__init__()
        self.align_corners = align_corners
        self.conv_deep = ConvModule(
            deep_channels, width, 3, padding=1, conv_cfg=conv_cfg,
            norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv_shallow = ConvModule(
            shallow_channels, width, 3, padding=1, conv_cfg=conv_cfg,
            norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.dilation_layers = nn.ModuleList(
            DepthwiseSeparableConvModule(
                2 * width,
                width,
                3,
                padding=dilation,
                dilation=dilation,
                conv_cfg=conv_cfg,
                dw_norm_cfg=branch_norm_cfg,
                dw_act_cfg=None,
                pw_norm_cfg=branch_norm_cfg,
                pw_act_cfg=act_cfg) for dilation in dilations)

    def forward(self, deep: Tensor, shallow: Tensor) -> Tensor:
        shallow = self.conv_shallow(shallow)
        deep = F.interpolate(
            self.conv_deep(deep),
            size=shallow.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        fused = torch.cat([deep, shallow], dim=1)
        return torch.cat(
            [deep, *(branch(fused) for branch in self.dilation_layers)], dim=1)


@MODELS.register_module()
class JointPyramidUpsamplingX(BaseModule):
    """JPU_X, the pyramid version of JPU in the official FastFCN code.

    Two joint upsampling steps go from deep to shallow: the first fuses C4
    into C3, the second fuses C5 into the result, each with its own width and
    dilations; the branches use GroupNorm. Like
    :class:`JointPyramidUpsampling`, the output keeps the input levels and
    appends the fused feature.

    Args:
        in_channels (Sequence[int]): Channels of C3, C4, C5.
            Default: (512, 1024, 2048).
        widths (Sequence[int]): Width of the first and second step.
            Default: (256, 512).
        dilations (Sequence[Sequence[int]]): Dilations of the branches of
            each step. Default: ((1, 2, 4), (2, 4, 8)).
        align_corners (bool): ``align_corners`` of the resizes.
            Default: True.
        conv_cfg (dict, optional): Config of conv layers. Default: None.
        norm_cfg (dict): Norm of the 3x3 convs. Default: BN.
        branch_norm_cfg (dict): Norm inside the separable branches.
            Default: GroupNorm with 32 groups.
        act_cfg (dict): Activation. Default: ReLU.
        init_cfg (dict, optional): Initialization config. Default: None.

    Shape:
        - Input: C3 :math:`(N, C_3, H, W)`, C4 and C5 at half and quarter
          size.
        - Output: the inputs followed by :math:`(N, 4 \\cdot widths[1], H, W)`
          with the default three dilations.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024, 2048),
                 widths: Sequence[int] = (256, 512),
                 dilations: Sequence[Sequence[int]] = ((1, 2, 4), (2, 4, 8)),
                 align_corners: bool = True,
                 conv_cfg: ConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=True),
                 branch_norm_cfg: ConfigType = dict(
                     type='GN', num_groups=32, requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 3 or len(widths) != 2 or len(dilations) != 2:
            raise ValueError(
                'JointPyramidUpsamplingX takes three levels (C3, C4, C5), two '
                f'widths and two dilation tuples, got in_channels='
                f'{in_channels}, widths={widths}, dilations={dilations}')
        self.in_channels = tuple(in_channels)
        first_out = (1 + len(dilations[0])) * widths[0]
        self.joint_upsamplings = nn.ModuleList([
            JointUpsamplingModule(in_channels[1], in_channels[0], widths[0],
                                  dilations[0], align_corners, conv_cfg,
                                  norm_cfg, branch_norm_cfg, act_cfg),
            JointUpsamplingModule(in_channels[2], first_out, widths[1],
                                  dilations[1], align_corners, conv_cfg,
                                  norm_cfg, branch_norm_cfg, act_cfg)
        ])
        self.out_channels = (1 + len(dilations[1])) * widths[1]

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Fuse C4 into C3, then C5 into the result.

        Args:
            inputs (Sequence[Tensor]): C3, C4, C5.

        Returns:
            tuple[Tensor]: ``inputs`` followed by the fused stride-8 feature.
        """
        check_input_channels(self.in_channels, feature_channels(inputs),
                             type(self).__name__, 'the backbone')
        c3, c4, c5 = inputs
        feat = self.joint_upsamplings[0](c4, c3)
        feat = self.joint_upsamplings[1](c5, feat)
        return (*inputs, feat)
