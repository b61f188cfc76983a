# Copyright (c) mmseg_jpu contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn
from mmengine.runner import save_checkpoint

from mmseg.models.backbones import ResNetV1c
from mmseg.registry import MODELS
from mmseg_jpu.models import ResNetD32
from .mmpretrain_import import ensure_mmpretrain_importable


def _convs(module):
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize('depth', [18, 34, 50, 101, 152])
def test_no_dilated_conv_at_any_depth(depth):
    backbone = ResNetD32(depth=depth)
    assert all(conv.dilation == (1, 1) for conv in _convs(backbone))


@pytest.mark.parametrize('size', [(64, 64), (333, 517), (97, 31)])
def test_downsamples_by_exactly_32(size):
    backbone = ResNetD32(depth=18, out_indices=(0, 1, 2, 3))
    backbone.eval()
    with torch.no_grad():
        outs = backbone(torch.randn(1, 3, *size))
    for stage, out in enumerate(outs):
        stride = 2**(stage + 2)
        assert out.shape[2:] == (-(-size[0] // stride), -(-size[1] // stride))


def test_default_outputs_are_c3_c4_c5():
    backbone = ResNetD32(depth=50)
    backbone.eval()
    with torch.no_grad():
        outs = backbone(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape[1:]) for o in outs] == [(512, 8, 12), (1024, 4, 6),
                                                 (2048, 2, 3)]


@pytest.mark.parametrize('key, value', [
    ('dilations', (1, 1, 2, 4)),
    ('contract_dilation', True),
    ('strides', (1, 2, 1, 1)),
    ('multi_grid', (1, 2, 4)),
    ('num_stages', 3),
])
def test_stride_changing_arguments_are_refused(key, value):
    with pytest.raises(ValueError, match=f'ResNetD32 does not accept {key}'):
        MODELS.build(dict(type='ResNetD32', depth=50, **{key: value}))


def test_resnetv1c_state_dict_loads_without_missing_or_unexpected_keys(
        tmp_path):
    source = ResNetV1c(depth=50)
    checkpoint = tmp_path / 'resnet50_v1c.pth'
    save_checkpoint({'state_dict': source.state_dict()}, str(checkpoint))
    target = ResNetD32(depth=50)
    result = target.load_state_dict(source.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys

    from_init_cfg = ResNetD32(
        depth=50, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
    from_init_cfg.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(from_init_cfg.state_dict()[key], value), key


def test_mmpretrain_resnetv1c_checkpoint_loads(tmp_path):
    """An mmpretrain ImageNet checkpoint (classifier keys under
    ``backbone.``) loads through init_cfg, stem keys renamed, and gives the
    same features."""
    ensure_mmpretrain_importable()
    source = MODELS.build(
        dict(type='mmpretrain.ResNetV1c', depth=50, out_indices=(1, 2, 3)))
    for module in source.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.running_mean, -0.1, 0.1)
            nn.init.uniform_(module.weight, 0.5, 1.5)
    checkpoint = tmp_path / 'resnetv1c50_in1k.pth'
    save_checkpoint(
        {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in source.state_dict().items()
            }
        }, str(checkpoint))
    target = ResNetD32(
        depth=50,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(checkpoint),
            prefix='backbone.'))
    target.init_weights()
    source.eval()
    target.eval()
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for expected, got in zip(source(image), target(image)):
            torch.testing.assert_close(got, expected)


def test_official_fastfcn_stem_width():
    backbone = ResNetD32(depth=50, stem_channels=128)
    stem_convs = [m for m in backbone.stem if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels)
            for c in stem_convs] == [(3, 64), (64, 64), (64, 128)]
    assert backbone.layer1[0].conv1.in_channels == 128


def test_frozen_stages_and_norm_eval():
    backbone = ResNetD32(depth=18, frozen_stages=1, norm_eval=True)
    backbone.train()
    assert not any(p.requires_grad for p in backbone.stem.parameters())
    assert not any(p.requires_grad for p in backbone.layer1.parameters())
    assert all(p.requires_grad for p in backbone.layer2.parameters())
    norms = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms)
