# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""ResNeStD32 and MobileNetV2D32: mmseg's ResNeSt and MobileNetV2 at their
ImageNet strides, refusing dilation, with the keys of mmseg's dilated d8
configs (so a trained d8 backbone loads unchanged)."""
import pytest
import torch
import torch.nn as nn

from mmseg.models.backbones import MobileNetV2, ResNeSt
from mmseg.registry import MODELS
from mmseg_jpu.models import MobileNetV2D32, ResNeStD32

#: the backbones of mmseg's resnest/*-d8 and mobilenet_v2/*-d8 configs
RESNEST_D8 = dict(
    depth=50,
    stem_channels=64,
    dilations=(1, 1, 2, 4),
    strides=(1, 2, 1, 1),
    contract_dilation=True,
    out_indices=(0, 1, 2, 3))
MOBILENET_V2_D8 = dict(
    strides=(1, 2, 2, 1, 1, 1, 1),
    dilations=(1, 1, 1, 2, 2, 4, 4),
    out_indices=(1, 2, 4, 6))
CASES = {
    'ResNeStD32': (ResNeStD32, dict(depth=50, out_indices=(0, 1, 2, 3)),
                   ResNeSt, RESNEST_D8, [(256, 4), (512, 8), (1024, 16),
                                         (2048, 32)]),
    'MobileNetV2D32': (MobileNetV2D32, dict(), MobileNetV2, MOBILENET_V2_D8,
                       [(24, 4), (32, 8), (96, 16), (320, 32)]),
}


def _outputs(backbone, size=(96, 64)):
    backbone.eval()
    with torch.no_grad():
        return backbone(torch.randn(1, 3, *size))


@pytest.mark.parametrize('name', CASES)
def test_outputs_at_imagenet_strides_without_dilation(name):
    cls, kwargs, _, _, levels = CASES[name]
    backbone = cls(**kwargs)
    assert all(m.dilation == (1, 1) for m in backbone.modules()
               if isinstance(m, nn.Conv2d))
    outs = _outputs(backbone, (96, 64))
    assert [(o.shape[1], 96 // o.shape[2]) for o in outs] == levels
    assert all(o.shape[3] == 64 // s for o, (_, s) in zip(outs, levels))


@pytest.mark.parametrize('name', CASES)
def test_dilated_d8_state_dict_loads_strictly(name):
    cls, kwargs, dilated_cls, dilated_kwargs, _ = CASES[name]
    dilated = dilated_cls(**dilated_kwargs)
    result = cls(**kwargs).load_state_dict(dilated.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys


@pytest.mark.parametrize('name', CASES)
def test_same_network_as_mmseg_class_at_its_imagenet_strides(name):
    """With the same weights, the stride-32 class computes what mmseg's
    class computes without strides/dilations arguments."""
    cls, kwargs, mmseg_cls, _, _ = CASES[name]
    reference = mmseg_cls(**dict(dict(out_indices=(1, 2, 4, 6)), **kwargs))
    ours = cls(**kwargs)
    ours.load_state_dict(reference.state_dict())
    torch.manual_seed(1)
    image = torch.randn(1, 3, 64, 96)
    reference.eval()
    ours.eval()
    with torch.no_grad():
        for expected, got in zip(reference(image), ours(image)):
            torch.testing.assert_close(got, expected)


@pytest.mark.parametrize('name, key, value', [
    ('ResNeStD32', 'dilations', (1, 1, 2, 4)),
    ('ResNeStD32', 'strides', (1, 2, 1, 1)),
    ('ResNeStD32', 'contract_dilation', True),
    ('ResNeStD32', 'multi_grid', (1, 2, 4)),
    ('ResNeStD32', 'num_stages', 3),
    ('MobileNetV2D32', 'strides', (1, 2, 2, 1, 1, 1, 1)),
    ('MobileNetV2D32', 'dilations', (1, 1, 1, 2, 2, 4, 4)),
])
def test_stride_changing_arguments_are_refused(name, key, value):
    cfg = dict(type=name, **{key: value})
    if name == 'ResNeStD32':
        cfg['depth'] = 50
    dilated_type = name[:-len('D32')]
    with pytest.raises(
            ValueError,
            match=f'{name} does not accept {key}: it is a stride-32 '
            f".*type='{dilated_type}' for a dilated backbone"):
        MODELS.build(cfg)
