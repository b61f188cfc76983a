# Copyright (c) mmseg_jpu contributors. All rights reserved.
import pytest
import torch

from mmseg.registry import MODELS
from mmseg_jpu.models import JointPyramidUpsampling, ResNetD32


def _levels(height, width, channels=(16, 24, 32), batch=2):
    """Random C3/C4/C5-like levels at strides 8, 16, 32 of an image."""
    return [
        torch.randn(batch, c, -(-height // 2**(3 + i)),
                    -(-width // 2**(3 + i))) for i, c in enumerate(channels)
    ]


@pytest.mark.parametrize('size', [(333, 517), (64, 64), (97, 33), (31, 31)])
def test_output_keeps_levels_and_appends_jpu_feature(size):
    levels = _levels(*size)
    neck = JointPyramidUpsampling(in_channels=(16, 24, 32), width=8).eval()
    outs = neck(levels)
    assert len(outs) == 4
    for given, kept in zip(levels, outs):
        assert kept is given
    assert outs[-1].shape == (2, 4 * 8, *levels[0].shape[2:])


def test_backbone_and_neck_on_odd_size_give_stride_8_feature():
    backbone = ResNetD32(depth=18)
    backbone.eval()  # mmseg's ResNet.train() returns None
    neck = JointPyramidUpsampling(in_channels=(128, 256, 512), width=16).eval()
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, 333, 517)))
    assert [tuple(o.shape[1:]) for o in outs] == [(128, 42, 65),
                                                 (256, 21, 33),
                                                 (512, 11, 17),
                                                 (64, 42, 65)]


@pytest.mark.parametrize('num_levels', [2, 3, 4])
def test_any_number_of_levels(num_levels):
    channels = (8, 16, 24, 32)[:num_levels]
    levels = _levels(70, 90, channels)
    neck = JointPyramidUpsampling(
        in_channels=channels, width=4, dilations=(1, 3)).eval()
    outs = neck(levels)
    assert len(outs) == num_levels + 1
    assert outs[-1].shape == (2, 8, *levels[0].shape[2:])


def test_start_level_passes_earlier_levels_through():
    levels = [torch.randn(2, 8, 40, 40)] + _levels(160, 160, (16, 24, 32))
    neck = JointPyramidUpsampling(
        in_channels=(8, 16, 24, 32), start_level=1, width=4).eval()
    outs = neck(levels)
    assert len(outs) == 5 and outs[0] is levels[0]
    assert outs[-1].shape == (2, 16, 20, 20)


def test_gradients_reach_every_parameter():
    neck = JointPyramidUpsampling(in_channels=(16, 24, 32), width=8)
    neck(_levels(61, 47))[-1].square().mean().backward()
    for name, param in neck.named_parameters():
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name


def test_concatenates_deepest_level_first():
    """The official FastFCN order: [C5, C4, C3] branches feed the separable
    convs, so the first ``width`` channels of the fused map come from C5."""
    neck = JointPyramidUpsampling(in_channels=(4, 4, 4), width=2).eval()
    levels = _levels(64, 64, (4, 4, 4))
    with torch.no_grad():
        for branch in neck.dilation_layers:
            # Cut every pointwise weight except those reading channels 0-1.
            branch.pointwise_conv.conv.weight[:, 2:] = 0
        reference = neck(levels)[-1]
        changed_c3 = neck([torch.randn_like(levels[0]), *levels[1:]])[-1]
        changed_c5 = neck([*levels[:2], torch.randn_like(levels[2])])[-1]
    torch.testing.assert_close(changed_c3, reference)
    assert not torch.allclose(changed_c5, reference)


def test_registered_in_mmseg_models():
    neck = MODELS.build(
        dict(type='JointPyramidUpsampling', in_channels=(8, 8), width=4))
    assert isinstance(neck, JointPyramidUpsampling)


@pytest.mark.parametrize('kwargs, message', [
    (dict(in_channels=(512, )), 'at least two input levels'),
    (dict(in_channels=512), 'in_channels must be a sequence'),
    (dict(in_channels=(8, 16, 24), start_level=2), 'at least two input'),
    (dict(width=0), 'width must be a positive int'),
    (dict(width=-4), 'width must be a positive int'),
    (dict(dilations=()), 'dilations'),
    (dict(dilations=4), 'dilations'),
    (dict(in_channels=(512, 0, 2048)), 'positive ints'),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        JointPyramidUpsampling(**kwargs)


def test_wrong_number_of_inputs_is_a_clear_error():
    neck = JointPyramidUpsampling(in_channels=(16, 24, 32), width=4)
    with pytest.raises(ValueError, match='outputs 2 levels'):
        neck(_levels(64, 64)[:2])


def test_wrong_input_channels_is_a_clear_error():
    neck = JointPyramidUpsampling(in_channels=(16, 24, 32), width=4)
    with pytest.raises(ValueError, match=r'channels \(16, 24, 33\)'):
        neck(_levels(64, 64, (16, 24, 33)))
