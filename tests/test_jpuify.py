# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/jpuify.py on mmseg's own zoo configs."""
import subprocess
import sys

import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, ConfigDict
from mmengine.model import revert_sync_batchnorm

from mmseg.registry import MODELS
from mmseg_jpu.tools.jpuify import (JpuifyError, jpuify, jpuify_model,
                                    resolve_config)
from .conftest import REPO_ROOT

ZOO = [
    'fcn/fcn_r50-d8_4xb4-80k_ade20k-512x512.py',
    'pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py',
    'deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py',
    'deeplabv3plus/deeplabv3plus_r101-d16-mg124_4xb2-40k_cityscapes-512x1024.py',  # noqa
    'encnet/encnet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'danet/danet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'ann/ann_r50-d8_4xb4-80k_ade20k-512x512.py',
    'apcnet/apcnet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'gcnet/gcnet_r50-d8_4xb4-80k_ade20k-512x512.py',
]
SIZE = (64, 64)


def _model(cfg):
    cfg.model.data_preprocessor.size = SIZE
    cfg.model.test_cfg = dict(mode='whole')
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.eval()
    return model


def _flops(model):
    return get_model_complexity_info(
        model, inputs=(torch.randn(1, 3, *SIZE), ),
        show_table=False, show_arch=False)['flops']


@pytest.mark.parametrize('source', ZOO, ids=lambda s: s.split('/')[1][:-3])
def test_zoo_config_converts_runs_and_needs_fewer_flops(source, tmp_path):
    out = tmp_path / 'jpu.py'
    subprocess.run([
        sys.executable,
        str(REPO_ROOT / 'tools' / 'jpuify.py'), f'mmseg::{source}',
        str(out)
    ],
                   check=True)
    converted = Config.fromfile(str(out))
    assert converted.model.backbone.type == 'ResNetD32'
    assert converted.model.neck.type == 'JointPyramidUpsampling'
    original = _model(Config.fromfile(str(resolve_config(f'mmseg::{source}'))))
    model = _model(converted)
    image = torch.randn(1, 3, *SIZE)
    with torch.no_grad():
        logits = model(image, mode='tensor')
    if isinstance(logits, tuple):  # EncHead, DAHead: seg logits first
        logits = logits[0]
    num_classes = converted.model.decode_head.num_classes
    assert logits.shape[:2] == (1, num_classes)
    assert torch.isfinite(logits).all()
    assert _flops(model) < _flops(original)


def test_deeplabv3plus_low_level_branch_keeps_c2():
    cfg = Config.fromfile(str(resolve_config(f'mmseg::{ZOO[3]}')))
    model = jpuify_model(cfg.model)
    assert model.backbone.out_indices == (0, 1, 2, 3)
    assert model.neck.in_channels == (256, 512, 1024, 2048)
    assert model.neck.start_level == 1
    assert model.decode_head.in_index == 4  # the JPU feature
    assert model.auxiliary_head.in_index == 2  # C4, as before


def test_d16_config_fuses_c4_c5_at_stride_16():
    cfg = Config.fromfile(str(resolve_config(f'mmseg::{ZOO[4]}')))
    model = jpuify_model(cfg.model)
    assert model.neck.in_channels == (256, 512, 1024, 2048)
    assert model.neck.start_level == 2  # fuses C4 and C5


@pytest.mark.parametrize('source, message', [
    ('mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
     "backbone 'MixVisionTransformer' is not a ResNet"),
    ('mmseg::fastfcn/fastfcn_r50-d32_jpu_psp_4xb4-80k_ade20k-512x512.py',
     'already has output stride 32'),
])
def test_unconvertible_configs_are_refused(source, message, tmp_path):
    with pytest.raises(JpuifyError, match=message):
        jpuify(source, tmp_path / 'out.py')


def test_unknown_neck_is_refused():
    cfg = Config.fromfile(str(resolve_config(f'mmseg::{ZOO[0]}')))
    cfg.model.neck = ConfigDict(type='FPN')
    with pytest.raises(JpuifyError, match="unknown neck 'FPN'"):
        jpuify_model(cfg.model)


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='config not found'):
        jpuify('mmseg::nope/nope.py', tmp_path / 'out.py')
