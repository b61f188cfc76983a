# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Config mistakes fail when the model is built, or before the first
iteration, with a message that names the config field and the fix."""
import copy
import functools

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.registry import MODELS
from mmseg_jpu.engine import check_segmentor
from .conftest import (CONFIG_DIR, TINY_ADE20K_CONFIG,
                       TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config)

#: R18 backbone outputs of the quickstart configs: C3, C4, C5.
R18_CHANNELS = (128, 256, 512)
#: Full-size configs: JPU + EncHead, FPN, the official DeepLabV3 head, no
#: neck (dilated); checked at 64x64.
FULL_CONFIGS = [
    CONFIG_DIR / 'fastfcn_jpu' /
    'fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480.py',
    CONFIG_DIR / 'fastfcn_ablations' /
    'fastfcn_r50-d32_fpn_enc_4xb4-25k_pascal-context-59-480x480.py',
    CONFIG_DIR / 'fastfcn_official' /
    'fastfcn-official_r50-d32_jpu_deeplabv3_4xb4-25k_pascal-context-59-'
    '480x480.py',
    CONFIG_DIR / 'dilated_baselines' /
    'encnet_r50-d8_4xb4-25k_pascal-context-59-480x480.py',
]


@functools.lru_cache(maxsize=None)
def _config(config):
    return Config.fromfile(str(config))


def _model_cfg(config=TINY_PASCAL_CONTEXT_CONFIG):
    """A copy of the config's model, to change one field of."""
    model_cfg = copy.deepcopy(_config(config).model)
    model_cfg.pretrained = None
    return model_cfg


def _check(model_cfg):
    check_segmentor(MODELS.build(model_cfg))


@pytest.mark.parametrize(
    'config', [TINY_PASCAL_CONTEXT_CONFIG, TINY_ADE20K_CONFIG] + FULL_CONFIGS,
    ids=lambda p: p.name[:-3])
def test_configs_pass_the_check(config):
    model_cfg = _model_cfg(config)
    model_cfg.data_preprocessor.size = (64, 64)
    _check(model_cfg)


def test_gray_inputs_pass_the_check():
    """The dry run has the channels of the data preprocessor's mean."""
    model_cfg = _model_cfg()
    model_cfg.backbone.in_channels = 1
    model_cfg.data_preprocessor.update(mean=[0.0], std=[1.0], bgr_to_rgb=False)
    _check(model_cfg)


def test_check_leaves_modes_and_statistics_unchanged():
    model = MODELS.build(_model_cfg())
    model.train()
    model.auxiliary_head.eval()
    modes = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    check_segmentor(model)
    assert [m.training for m in model.modules()] == modes
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


# -- the five cases of the issue ------------------------------------------


def test_jpu_in_channels_not_matching_the_backbone():
    model_cfg = _model_cfg()
    model_cfg.neck.in_channels = (128, 256, 1024)
    with pytest.raises(ValueError) as error:
        _check(model_cfg)
    message = str(error.value)
    assert 'model.neck.in_channels=(128, 256, 1024)' in message
    assert f'Set model.neck.in_channels={R18_CHANNELS}' in message


def test_jpu_levels_not_matching_backbone_out_indices():
    model_cfg = _model_cfg()
    model_cfg.backbone.out_indices = (0, 1, 2, 3)
    with pytest.raises(ValueError) as error:
        _check(model_cfg)
    message = str(error.value)
    assert 'model.neck.in_channels' in message
    assert 'model.backbone.out_indices' in message
    assert 'Set model.neck.in_channels=(64, 128, 256, 512)' in message


@pytest.mark.parametrize('head, in_index', [('decode_head', (0, 1, 4)),
                                            ('auxiliary_head', 4),
                                            ('auxiliary_head', -5)])
def test_head_in_index_out_of_range(head, in_index):
    model_cfg = _model_cfg()
    model_cfg[head].in_index = in_index
    with pytest.raises(ValueError) as error:
        _check(model_cfg)
    message = str(error.value)
    assert f'model.{head}.in_index={in_index!r} is out of range' in message
    assert 'model.neck outputs 4 feature levels' in message
    assert f'Set model.{head}.in_index to levels in 0..3' in message


def test_dilations_given_to_resnet_d32():
    model_cfg = _model_cfg()
    model_cfg.backbone.dilations = (1, 1, 2, 4)
    with pytest.raises(ValueError, match='ResNetD32 does not accept '
                       'dilations') as error:
        MODELS.build(model_cfg)
    assert "type='ResNetV1c'" in str(error.value)


@pytest.mark.parametrize('width', [0, -32])
def test_jpu_width_not_positive(width):
    model_cfg = _model_cfg()
    model_cfg.neck.width = width
    with pytest.raises(ValueError, match='JointPyramidUpsampling width must '
                       f'be a positive int, got {width}'):
        MODELS.build(model_cfg)


def test_fewer_than_two_jpu_levels():
    model_cfg = _model_cfg()
    model_cfg.backbone.out_indices = (3, )
    model_cfg.neck.in_channels = (512, )
    with pytest.raises(ValueError, match='needs at least two input levels to '
                       'fuse: in_channels must list >= 2 levels'):
        MODELS.build(model_cfg)


# -- head channels ---------------------------------------------------------


def test_auxiliary_head_in_channels_not_matching_its_level():
    model_cfg = _model_cfg(TINY_ADE20K_CONFIG)
    model_cfg.auxiliary_head.in_channels = 512
    with pytest.raises(ValueError) as error:
        _check(model_cfg)
    message = str(error.value)
    assert 'model.auxiliary_head.in_channels does not match' in message
    assert 'Set model.auxiliary_head.in_channels=256.' in message


def test_decode_head_reads_the_jpu_feature_width():
    # the JPU feature has len(dilations) * width = 4 * 32 = 128 channels
    model_cfg = _model_cfg()
    model_cfg.decode_head.in_channels = [128, 256, 512]
    with pytest.raises(ValueError) as error:
        _check(model_cfg)
    assert 'Set model.decode_head.in_channels=[128, 256, 128].' in str(
        error.value)


# -- in a run --------------------------------------------------------------


@pytest.mark.slow
def test_runner_stops_before_the_first_iteration(tmp_path):
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, tmp_path, 2)
    assert cfg.default_hooks.segmentor_check.type == 'SegmentorCheckHook'
    cfg.model.auxiliary_head.in_index = 7
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError,
                       match=r'model\.auxiliary_head\.in_index=7 is out'):
        runner.train()
    assert runner.iter == 0
    assert not list(tmp_path.glob('*.pth'))
