# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""FastFCNASPPHead: the official DeepLabV3 layout built on mmseg's
ASPPHead."""
import pytest
import torch

from mmseg.registry import MODELS

COMMON = dict(type='FastFCNASPPHead', in_channels=8, channels=4,
              num_classes=3)


def test_a_1x1_branch_then_one_3x3_branch_per_rate():
    head = MODELS.build(dict(dilations=(2, 3), **COMMON))
    assert [(m.conv.kernel_size, m.conv.dilation)
            for m in head.aspp_modules] == [((1, 1), (1, 1)),
                                            ((3, 3), (2, 2)),
                                            ((3, 3), (3, 3))]
    assert head.project.conv.in_channels == 4 * 4  # 3 branches + pooling
    assert head.bottleneck.conv.in_channels == 4
    head.eval()
    with torch.no_grad():
        assert head([torch.randn(1, 8, 7, 9)]).shape == (1, 3, 7, 9)


def test_a_rate_below_2_is_refused():
    with pytest.raises(ValueError, match=r'each must be >= 2, got \(1, 6\)'):
        MODELS.build(dict(dilations=(1, 6), **COMMON))
