# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Property-based checks over random sizes, level counts and widths."""
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmseg_jpu.models import JointPyramidUpsampling, ResNetD32

BACKBONE = ResNetD32(depth=18, out_indices=(0, 1, 2, 3))
BACKBONE.eval()


@settings(max_examples=25, deadline=None)
@given(
    height=st.integers(1, 300),
    width=st.integers(1, 300),
    num_levels=st.integers(2, 4),
    jpu_width=st.integers(1, 16),
    dilations=st.lists(st.integers(1, 8), min_size=1, max_size=4))
def test_jpu_output_has_first_level_size_and_kept_levels(
        height, width, num_levels, jpu_width, dilations):
    channels = tuple(range(3, 3 + num_levels))
    levels = [
        torch.randn(1, c, -(-height // 2**i), -(-width // 2**i))
        for i, c in enumerate(channels)
    ]
    neck = JointPyramidUpsampling(
        in_channels=channels, width=jpu_width, dilations=dilations).eval()
    with torch.no_grad():
        outs = neck(levels)
    assert len(outs) == num_levels + 1
    assert all(out is level for out, level in zip(outs, levels))
    assert outs[-1].shape == (1, len(dilations) * jpu_width,
                              *levels[0].shape[2:])


@settings(max_examples=15, deadline=None)
@given(height=st.integers(1, 200), width=st.integers(1, 200))
def test_resnet_d32_strides_are_4_8_16_32(height, width):
    with torch.no_grad():
        outs = BACKBONE(torch.randn(1, 3, height, width))
    for stage, out in enumerate(outs):
        stride = 2**(stage + 2)
        assert out.shape[2:] == (-(-height // stride), -(-width // stride))
