# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Sequence, Tuple

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class BilinearUpsampling(BaseModule):
    """Bilinearly upsample the last level: the "Bilinear" row of FastFCN's
    Table 1 (a stride-32 backbone whose C5 is upsampled 4x before the head).

    Args:
        scale_factor (float): Upsampling factor of the last level.
            Default: 4.
        align_corners (bool): ``align_corners`` of the resize. Default: True.

    Shape:
        - Input: any number of levels, the last :math:`(N, C, H, W)`.
        - Output: the inputs followed by the last level at
          :math:`(N, C, H \\cdot s, W \\cdot s)`.
    """

    def __init__(self, scale_factor: float = 4, align_corners: bool = True):
        super().__init__()
        self.scale_factor = scale_factor
        self.align_corners = align_corners

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        upsampled = F.interpolate(
            inputs[-1],
            scale_factor=self.scale_factor,
            mode='bilinear',
            align_corners=self.align_corners)
        return (*inputs, upsampled)
