# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""BiFPNNeck (ESeg): levels up to P9, BiFPN fusion, odd input sizes, and an
ESeg model that trains and evaluates on the tiny datasets."""
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.runner import Runner

from mmseg.registry import MODELS
from mmseg_jpu.models import BiFPNNeck, ResNetD32
from mmseg_jpu.models.necks.weighted_fusion import WeightedFusion
from .conftest import (CONFIG_DIR, TINY_ADE20K_CONFIG,
                       TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config)

ESEG_MODEL = CONFIG_DIR / '_base_' / 'models' / 'eseg_r50-d32_bifpn.py'
ESEG_CONFIG = (
    CONFIG_DIR / 'eseg' /
    'eseg_r50-d32_bifpn_4xb4-25k_pascal-context-59-480x480.py')


def _ceil_halvings(size, times):
    for _ in range(times):
        size = -(-size // 2)
    return size


def _levels(height, width, channels=(8, 12, 16), first_stride_log2=3, batch=2):
    """Random levels at strides 8, 16, 32, ... sized as a ResNet's."""
    return [
        torch.randn(batch, c, _ceil_halvings(height, first_stride_log2 + i),
                    _ceil_halvings(width, first_stride_log2 + i))
        for i, c in enumerate(channels)
    ]


@pytest.mark.parametrize('size', [(97, 131), (64, 64), (1024, 1536)])
def test_seven_levels_down_to_p9(size):
    neck = BiFPNNeck(
        in_channels=(8, 12, 16), width=4, num_outs=7, num_repeats=2).eval()
    with torch.no_grad():
        outs = neck(_levels(*size))
    assert len(outs) == 7
    for level, out in enumerate(outs, start=3):  # P3 .. P9
        assert out.shape == (2, 4, _ceil_halvings(size[0], level),
                             _ceil_halvings(size[1], level))


def test_resnet_and_neck_on_an_odd_size():
    backbone = ResNetD32(depth=18, out_indices=(1, 2, 3))
    backbone.eval()  # mmseg's ResNet.train() returns None
    neck = BiFPNNeck(
        in_channels=(128, 256, 512), width=8, num_repeats=1).eval()
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, 97, 131)))
    assert [tuple(o.shape[2:]) for o in outs] == [(13, 17), (7, 9), (4, 5),
                                                  (2, 3), (1, 2), (1, 1),
                                                  (1, 1)]


def test_levels_of_other_sizes_are_resized_to_fit():
    """Backbones whose stride-2 layers round down (e.g. 13 -> 6) still
    fuse: the bottom-up path resizes the pooled level to the input's."""
    levels = [
        torch.randn(1, 8, 13, 19),
        torch.randn(1, 12, 6, 9),
        torch.randn(1, 16, 3, 4)
    ]
    neck = BiFPNNeck(in_channels=(8, 12, 16), width=4, num_outs=4).eval()
    with torch.no_grad():
        outs = neck(levels)
    assert [tuple(o.shape[2:]) for o in outs] == [(13, 19), (6, 9), (3, 4),
                                                  (2, 2)]


def test_start_level_skips_earlier_inputs():
    levels = [torch.randn(2, 4, 40, 40)] + _levels(160, 160)
    neck = BiFPNNeck(
        in_channels=(4, 8, 12, 16), start_level=1, width=4, num_outs=5).eval()
    with torch.no_grad():
        outs = neck(levels)
        changed_skipped = neck([torch.randn_like(levels[0]), *levels[1:]])
    assert [tuple(o.shape[2:]) for o in outs] == [(20, 20), (10, 10), (5, 5),
                                                  (3, 3), (2, 2)]
    for out, other in zip(outs, changed_skipped):
        torch.testing.assert_close(out, other)


@pytest.mark.parametrize('fusion', ['fast_normalized', 'softmax', 'sum'])
def test_gradients_reach_every_parameter(fusion):
    neck = BiFPNNeck(
        in_channels=(8, 12, 16), width=4, num_repeats=2, fusion=fusion)
    # large enough that P8 and P9 are not both 1x1 copies of P7 (whose
    # equal inputs would give softmax weights an exactly zero gradient)
    outs = neck(_levels(600, 520, batch=1))
    sum(out.square().mean() for out in outs).backward()
    names = [name for name, _ in neck.named_parameters()]
    assert any('fusions' in name for name in names) == (fusion != 'sum')
    for name, param in neck.named_parameters():
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name


def test_fusion_weights():
    inputs = [torch.full((1, 1, 2, 2), value) for value in (1., 2., 4.)]
    fast = WeightedFusion(3, 'fast_normalized')
    softmax = WeightedFusion(3, 'softmax')
    with torch.no_grad():
        fast.weight.copy_(torch.tensor([1., -3., 3.]))  # ReLU drops -3
        softmax.weight.copy_(torch.tensor([0., 0., 2.**0.5]))
        torch.testing.assert_close(
            fast(inputs), torch.full((1, 1, 2, 2), 13. / (4. + 1e-4)))
        weights = torch.tensor([0., 0., 2.**0.5]).softmax(0)
        torch.testing.assert_close(
            softmax(inputs),
            torch.full((1, 1, 2, 2),
                       float(weights @ torch.tensor([1., 2., 4.]))))
        torch.testing.assert_close(
            WeightedFusion(3, 'sum')(inputs), torch.full((1, 1, 2, 2), 7.))


def test_eseg_config_builds_and_predicts_at_an_odd_size():
    cfg = Config.fromfile(str(ESEG_CONFIG))
    assert cfg.model.neck.type == 'BiFPNNeck'
    assert cfg.model.neck.num_outs == 7
    assert cfg.model.decode_head.type == 'SegformerHead'
    assert 'dilations' not in cfg.model.backbone
    cfg.model.pretrained = None
    cfg.model.backbone.depth = 18
    cfg.model.neck.update(in_channels=(128, 256, 512), width=8, num_repeats=2)
    cfg.model.decode_head.update(in_channels=[8] * 7, channels=16)
    cfg.model.auxiliary_head.update(in_channels=8, channels=8)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    with torch.no_grad():
        result = model.predict(torch.randn(1, 3, 97, 131))[0]
    assert result.seg_logits.data.shape == (59, 97, 131)
    assert result.pred_sem_seg.data.shape == (1, 97, 131)


def test_registered_in_mmseg_models():
    neck = MODELS.build(dict(type='BiFPNNeck', in_channels=(8, 8), width=4))
    assert isinstance(neck, BiFPNNeck)


@pytest.mark.parametrize('kwargs, message', [
    (dict(in_channels=()), 'in_channels must be a non-empty'),
    (dict(in_channels=(8, 0)), 'in_channels must be a non-empty'),
    (dict(in_channels=8), 'in_channels must be a non-empty'),
    (dict(start_level=3), 'start_level must index in_channels'),
    (dict(num_outs=2), r'num_outs .* >= 3'),
    (dict(in_channels=(8, ), num_outs=1), r'num_outs .* >= 2'),
    (dict(width=0), 'width must be a positive int'),
    (dict(num_repeats=0), 'num_repeats'),
    (dict(fusion='max'), 'fusion must be one of'),
])
def test_bad_arguments_are_refused(kwargs, message):
    args = dict(in_channels=(8, 12, 16), width=4)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        BiFPNNeck(**args)


def test_wrong_inputs_are_a_clear_error():
    neck = BiFPNNeck(in_channels=(8, 12, 16), width=4)
    with pytest.raises(ValueError, match='outputs 2 levels'):
        neck(_levels(64, 64)[:2])
    with pytest.raises(ValueError, match=r'channels \(8, 12, 17\)'):
        neck(_levels(64, 64, (8, 12, 17)))


def _tiny_eseg_run_config(tiny_config, work_dir):
    """A quickstart config (R18, tiny data) with the zoo's ESeg neck and
    heads, narrowed."""
    cfg = tiny_run_config(tiny_config, work_dir, max_iters=2)
    cfg.default_hooks.checkpoint = None
    eseg = Config.fromfile(str(ESEG_MODEL)).model
    norm_cfg = cfg.model.decode_head.norm_cfg
    num_classes = cfg.model.decode_head.num_classes
    eseg.neck.update(
        in_channels=(128, 256, 512), width=8, num_repeats=2, norm_cfg=norm_cfg)
    eseg.decode_head.update(
        in_channels=[8] * 7,
        channels=16,
        num_classes=num_classes,
        norm_cfg=norm_cfg)
    eseg.auxiliary_head.update(
        in_channels=8, channels=8, num_classes=num_classes, norm_cfg=norm_cfg)
    cfg.model.neck = eseg.neck
    cfg.model.decode_head = eseg.decode_head
    cfg.model.auxiliary_head = eseg.auxiliary_head
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize(
    'tiny_config', [TINY_PASCAL_CONTEXT_CONFIG, TINY_ADE20K_CONFIG],
    ids=['pascal_context_59', 'ade20k'])
def test_trains_and_evaluates_on_the_tiny_datasets(tiny_config, tmp_path):
    runner = Runner.from_cfg(_tiny_eseg_run_config(tiny_config, tmp_path))
    assert isinstance(runner.model.neck, BiFPNNeck)
    before = {
        name: p.detach().clone()
        for name, p in runner.model.neck.named_parameters()
    }
    runner.train()
    assert runner.iter == 2
    changed = [
        name for name, p in runner.model.neck.named_parameters()
        if not torch.equal(p, before[name])
    ]
    # (the last BN bias of P9 may stay 0: SegformerHead's 1x1 conv + BN
    # cancels a constant shift of a level no other node reads)
    assert len(changed) > 0.9 * len(before)
    loss = runner.message_hub.get_scalar('train/decode.loss_ce').current()
    assert torch.isfinite(torch.tensor(loss))
    # validation ran and scored the predictions (KeyError if it did not)
    miou = runner.message_hub.get_scalar('val/mIoU').current()
    assert torch.isfinite(torch.tensor(miou))
