# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""KSACHead: one 3x3 kernel shared by every atrous branch, a drop-in for
mmseg's ASPPHead, and a model that trains and evaluates with it."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.runner import Runner

from mmseg.registry import MODELS
from mmseg_jpu.models import KSACHead
from .conftest import (CONFIG_DIR, TINY_ADE20K_CONFIG,
                       TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config)

BN = dict(type='BN', requires_grad=True)
KSAC_MODEL = CONFIG_DIR / '_base_' / 'models' / 'ksac_r50-d32_jpu.py'
KSAC_CONFIG = (
    CONFIG_DIR / 'ksac' /
    'ksac_r50-d32_jpu_4xb4-25k_pascal-context-59-480x480.py')
ASPP_CONFIG = (
    CONFIG_DIR / 'fastfcn_jpu' /
    'fastfcn_r50-d32_jpu_aspp_4xb4-25k_pascal-context-59-480x480.py')


def _head(head_type='KSACHead', in_channels=24, channels=16, **kwargs):
    return MODELS.build(
        dict(
            type=head_type,
            in_channels=in_channels,
            channels=channels,
            num_classes=5,
            norm_cfg=BN,
            **kwargs))


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('fusion', ['sum', 'concat'])
@pytest.mark.parametrize('size', [(13, 17), (1, 1), (7, 4)])
def test_output_keeps_the_input_size(fusion, size):
    head = _head(fusion=fusion).eval()
    with torch.no_grad():
        out = head([torch.randn(2, 24, *size)])
    assert out.shape == (2, 5, *size)


def test_one_kernel_tensor_serves_every_atrous_rate():
    head = _head(dilations=(1, 2, 3, 5)).eval()
    kernels = [
        name for name, p in head.named_parameters()
        if p.dim() == 4 and p.shape[1] == 24 and p.shape[2:] == (3, 3)
    ]
    assert kernels == ['shared_kernel']
    assert head.shared_kernel.shape == (16, 24, 3, 3)
    x = torch.randn(1, 24, 11, 9)
    with torch.no_grad():
        branches = head.atrous_branches(x)
        for rate, norm, act, branch in zip((2, 3, 5), head.atrous_norms,
                                           head.atrous_acts, branches):
            expected = act(
                norm(
                    F.conv2d(
                        x, head.shared_kernel, padding=rate, dilation=rate)))
            torch.testing.assert_close(branch, expected)
    assert len({id(norm) for norm in head.atrous_norms}) == 3


def test_extra_rates_add_only_norm_layers_with_sum_fusion():
    three = _head(dilations=(1, 6, 12, 18))
    four = _head(dilations=(1, 6, 12, 18, 24))
    norm_params = _num_params(four.atrous_norms[-1])
    assert _num_params(four) - _num_params(three) == norm_params


@pytest.mark.parametrize('fusion', ['sum', 'concat'])
def test_fewer_parameters_than_aspp_and_the_saving_grows_with_rates(fusion):
    savings = []
    for dilations in [(1, 6, 12), (1, 6, 12, 18), (1, 6, 12, 18, 24)]:
        ksac = _head(dilations=dilations, fusion=fusion, in_channels=64)
        aspp = _head('ASPPHead', dilations=dilations, in_channels=64)
        assert _num_params(ksac) < _num_params(aspp)
        savings.append(_num_params(aspp) - _num_params(ksac))
    assert savings[0] < savings[1] < savings[2]


@pytest.mark.parametrize('fusion', ['sum', 'concat'])
def test_gradients_reach_every_parameter(fusion):
    head = _head(fusion=fusion)
    head([torch.randn(2, 24, 9, 13)]).square().mean().backward()
    for name, param in head.named_parameters():
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name


def test_drop_in_for_aspp_head_in_the_jpu_config():
    """The KSAC config is the ASPP config with only the head type (and the
    fusion) changed; the built model predicts at an odd input size."""
    ksac, aspp = (Config.fromfile(str(p)) for p in (KSAC_CONFIG, ASPP_CONFIG))
    ksac_head = dict(ksac.model.decode_head)
    aspp_head = dict(aspp.model.decode_head)
    assert ksac_head.pop('type') == 'KSACHead'
    assert ksac_head.pop('fusion') == 'sum'
    assert aspp_head.pop('type') == 'ASPPHead'
    assert ksac_head == aspp_head
    assert ksac.model.neck == aspp.model.neck
    assert ksac.model.auxiliary_head == aspp.model.auxiliary_head
    assert ksac.optim_wrapper == aspp.optim_wrapper
    assert ksac.train_dataloader == aspp.train_dataloader

    ksac.model.pretrained = None
    ksac.model.backbone.depth = 18
    ksac.model.neck.update(in_channels=(128, 256, 512), width=16)
    ksac.model.decode_head.update(in_channels=64, channels=16)
    ksac.model.auxiliary_head.update(in_channels=256, channels=16)
    model = revert_sync_batchnorm(MODELS.build(ksac.model)).eval()
    assert isinstance(model.decode_head, KSACHead)
    with torch.no_grad():
        result = model.predict(torch.randn(1, 3, 97, 131))[0]
    assert result.seg_logits.data.shape == (59, 97, 131)
    assert result.pred_sem_seg.data.shape == (1, 97, 131)


@pytest.mark.parametrize('kwargs, message', [
    (dict(dilations=(6, 12, 18)), 'dilations must be 1'),
    (dict(dilations=(1, )), 'at least one atrous rate'),
    (dict(dilations=(1, 1, 12)), 'rate >= 2'),
    (dict(dilations=(1, 6.0, 12)), 'dilations'),
    (dict(dilations=6), 'dilations'),
    (dict(fusion='max'), 'fusion must be one of'),
    (dict(norm_cfg=None), 'needs norm_cfg'),
    (dict(conv_cfg=dict(type='DCN')), 'conv_cfg'),
])
def test_bad_arguments_are_refused(kwargs, message):
    args = dict(in_channels=8, channels=4, num_classes=3, norm_cfg=BN)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        KSACHead(**args)


def _tiny_ksac_run_config(tiny_config, work_dir):
    """A quickstart config (R18, JPU width 32, tiny data) whose decode head
    is the KSAC head of the zoo's model file, narrowed."""
    cfg = tiny_run_config(tiny_config, work_dir, max_iters=2)
    cfg.default_hooks.checkpoint = None
    head = Config.fromfile(str(KSAC_MODEL)).model.decode_head
    head.update(
        in_channels=len(cfg.model.neck.dilations) * cfg.model.neck.width,
        channels=16,
        dilations=(1, 2, 4, 6),
        num_classes=cfg.model.decode_head.num_classes,
        norm_cfg=BN)
    cfg.model.decode_head = head
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize(
    'tiny_config', [TINY_PASCAL_CONTEXT_CONFIG, TINY_ADE20K_CONFIG],
    ids=['pascal_context_59', 'ade20k'])
def test_trains_and_evaluates_on_the_tiny_datasets(tiny_config, tmp_path):
    runner = Runner.from_cfg(_tiny_ksac_run_config(tiny_config, tmp_path))
    head = runner.model.decode_head
    assert isinstance(head, KSACHead)
    kernel_before = head.shared_kernel.detach().clone()
    runner.train()
    assert runner.iter == 2
    assert not torch.equal(head.shared_kernel, kernel_before)
    loss = runner.message_hub.get_scalar('train/decode.loss_ce').current()
    assert torch.isfinite(torch.tensor(loss))
    # validation ran and scored the predictions (KeyError if it did not)
    miou = runner.message_hub.get_scalar('val/mIoU').current()
    assert torch.isfinite(torch.tensor(miou))
