# Copyright (c) mmseg_jpu contributors. All rights reserved.
import torch
from torch import Tensor

from mmseg.models.utils import Encoding


class MatmulEncoding(Encoding):
    """mmseg's :class:`Encoding` layer computed with matrix products.

    The same parameters (``codewords``, ``scale``), state-dict keys and
    result (up to float rounding) as :class:`Encoding`, which broadcasts
    ``x - codewords`` to an :math:`(N, HW, K, C)` tensor twice (256 MiB for
    a 64x64 feature with 32 codes of 512 channels). Here

    * the scaled distances use
      :math:`\\|x - c\\|^2 = \\|x\\|^2 - 2 x \\cdot c + \\|c\\|^2`, and
    * the aggregation uses
      :math:`\\sum_i a_{ik} (x_i - c_k) = (A^T X)_k - (\\sum_i a_{ik}) c_k`,

    so the largest intermediate is :math:`(N, HW, K)`.

    Shape:
        - Input: :math:`(N, C, H, W)`.
        - Output: :math:`(N, K, C)`, :math:`K` = ``num_codes``.
    """

    @staticmethod
    def scaled_l2(x: Tensor, codewords: Tensor, scale: Tensor) -> Tensor:
        """``scale[k] * ||x[n, i] - codewords[k]||^2``: :math:`(N, HW, K)`
        from ``x`` :math:`(N, HW, C)`."""
        distances = (x.pow(2).sum(dim=2, keepdim=True) -
                     2 * torch.matmul(x, codewords.t()) +
                     codewords.pow(2).sum(dim=1))
        return scale.view(1, 1, -1) * distances

    @staticmethod
    def aggregate(assignment_weights: Tensor, x: Tensor,
                  codewords: Tensor) -> Tensor:
        """``sum_i a[n, i, k] * (x[n, i] - codewords[k])``: :math:`(N, K, C)`.
        """
        weighted = torch.matmul(assignment_weights.transpose(1, 2), x)
        return weighted - assignment_weights.sum(dim=1).unsqueeze(
            2) * codewords.unsqueeze(0)
