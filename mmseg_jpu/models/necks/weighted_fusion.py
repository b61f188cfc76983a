# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""How a node of ESeg's BiFPN (:class:`~.bifpn_neck.BiFPNNeck`) fuses its
inputs."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

#: How a BiFPN node may fuse its inputs.
NODE_FUSIONS = ('fast_normalized', 'softmax', 'sum')


class WeightedFusion(BaseModule):
    """Fuse same-shaped feature maps with learned scalar weights, as a BiFPN
    node does (`EfficientDet <https://arxiv.org/abs/1911.09070>`_, Sec. 3.3).

    - ``'fast_normalized'``: :math:`\\sum_i w_i x_i / (\\epsilon + \\sum_j
      w_j)` with :math:`w = \\mathrm{ReLU}(w_{raw})`, EfficientDet's choice.
    - ``'softmax'``: :math:`\\sum_i \\mathrm{softmax}(w_{raw})_i x_i`.
    - ``'sum'``: :math:`\\sum_i x_i`, no weights (an unweighted FPN node).

    The raw weights start at 1, so every input starts with the same weight.

    Args:
        num_inputs (int): Number of fused maps.
        fusion (str): One of ``'fast_normalized'``, ``'softmax'``, ``'sum'``.
            Default: 'fast_normalized'.
        eps (float): :math:`\\epsilon` of the fast normalized fusion.
            Default: 1e-4 (EfficientDet's value).

    Shape:
        - Input: ``num_inputs`` tensors of the same shape :math:`(N, C, H,
          W)`.
        - Output: :math:`(N, C, H, W)`.
    """

    def __init__(self,
                 num_inputs: int,
                 fusion: str = 'fast_normalized',
                 eps: float = 1e-4):
        super().__init__()
        if fusion not in NODE_FUSIONS:
            raise ValueError(f'BiFPN node fusion must be one of '
                             f'{NODE_FUSIONS}, got {fusion!r}')
        self.num_inputs = num_inputs
        self.fusion = fusion
        self.eps = eps
        if fusion != 'sum':
            self.weight = nn.Parameter(torch.ones(num_inputs))

    def normalized_weights(self) -> Tensor:
        """The weight of each input, shape ``(num_inputs, )``."""
        if self.fusion == 'softmax':
            return self.weight.softmax(dim=0)
        weight = F.relu(self.weight)
        return weight / (weight.sum() + self.eps)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        if len(inputs) != self.num_inputs:
            raise ValueError(f'WeightedFusion expects {self.num_inputs} '
                             f'inputs, got {len(inputs)}')
        if self.fusion == 'sum':
            return sum(inputs[1:], inputs[0])
        weights = self.normalized_weights()
        return sum(w * x for w, x in zip(weights, inputs))
