# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Adaptive average pooling that exports to ONNX for any input size."""
import copy

import torch
import torch.nn as nn
from torch import Tensor


def _bin_weights(length: Tensor, bins: int, dtype: torch.dtype) -> Tensor:
    """``(bins, length)`` averages over ``[floor(iL/b), ceil((i+1)L/b))``."""
    index = torch.arange(bins, dtype=torch.int64)
    start = torch.div(index * length, bins, rounding_mode='floor')
    end = torch.div((index + 1) * length + bins - 1, bins,
                    rounding_mode='floor')
    position = torch.arange(length, dtype=torch.int64)[None, :]
    inside = ((position >= start[:, None]) &
              (position < end[:, None])).to(dtype)
    return inside / (end - start)[:, None].to(dtype)


class ExportableAdaptiveAvgPool2d(nn.Module):
    """``nn.AdaptiveAvgPool2d(output_size)`` as two matrix products built
    from the input's size inside the graph."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = nn.modules.utils._pair(output_size)

    def forward(self, x: Tensor) -> Tensor:
        shape = torch._shape_as_tensor(x)  # traced, not a constant
        rows = _bin_weights(shape[2], self.output_size[0], x.dtype)
        columns = _bin_weights(shape[3], self.output_size[1], x.dtype)
        return torch.matmul(torch.matmul(rows, x), columns.transpose(0, 1))


def with_exportable_pooling(network: nn.Module) -> nn.Module:
    """A copy of ``network`` whose ``nn.AdaptiveAvgPool2d`` layers, except
    1x1 ones, are :class:`ExportableAdaptiveAvgPool2d`."""
    network = copy.deepcopy(network)
    for name, module in list(network.named_modules()):
        if isinstance(module, nn.AdaptiveAvgPool2d):
            size = nn.modules.utils._pair(module.output_size)
            if None not in size and size != (1, 1):
                parent, _, child = name.rpartition('.')
                setattr(network.get_submodule(parent), child,
                        ExportableAdaptiveAvgPool2d(size))
    return network
