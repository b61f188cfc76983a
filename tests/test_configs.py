# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Every config in configs/ builds, trains one step and predicts on CPU."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper

from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import MODELS
from .conftest import CONFIG_DIR, model_configs
from .mmpretrain_import import ensure_mmpretrain_importable

SMALL_CROP = (64, 64)


def _packed_sample(height, width, num_classes, rng):
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    label = rng.integers(0, num_classes, (height, width), dtype=np.uint8)
    label[:3] = 255  # ignored pixels
    return PackSegInputs()(
        dict(
            img=image,
            gt_seg_map=label,
            img_shape=(height, width),
            ori_shape=(height, width),
            pad_shape=(height, width),
            scale_factor=(1.0, 1.0),
            flip=False,
            flip_direction=None))


def _batch(sizes, num_classes, seed=0):
    rng = np.random.default_rng(seed)
    samples = [_packed_sample(h, w, num_classes, rng) for h, w in sizes]
    return dict(
        inputs=[s['inputs'] for s in samples],
        data_samples=[s['data_samples'] for s in samples])


def _small_model(cfg):
    """The config's model on CPU at a small input size, SyncBN as BN."""
    cfg.model.data_preprocessor.size = SMALL_CROP
    if cfg.model.test_cfg.get('mode') == 'slide':
        cfg.model.test_cfg.crop_size = SMALL_CROP
        cfg.model.test_cfg.stride = (48, 48)
    return revert_sync_batchnorm(MODELS.build(cfg.model))


def test_configs_are_found():
    names = {p.name for p in model_configs()}
    for head in ('enc', 'aspp', 'psp'):
        for depth in (50, 101):
            for dataset in ('pascal-context-59', 'ade20k', 'cityscapes'):
                assert any(
                    n.startswith(f'fastfcn_r{depth}-d32_jpu_{head}_') and
                    dataset in n for n in names), (head, depth, dataset)


def _one_step_cases():
    """Every config; all but the quickstart ones (the fast subset's
    representatives) are slow."""
    return [
        pytest.param(
            config,
            id=config.stem,
            marks=() if config.parent.name == 'quickstart' else
            pytest.mark.slow) for config in model_configs()
    ]


@pytest.mark.parametrize('config', _one_step_cases())
def test_config_trains_one_step_and_predicts(config):
    cfg = Config.fromfile(str(config))
    if 'mmpretrain.' in cfg.model.backbone.type:
        ensure_mmpretrain_importable()
    assert cfg.custom_imports.imports == [
        'mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading'
    ]
    model = _small_model(cfg)
    num_classes = cfg.model.decode_head.num_classes

    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    losses = model.train_step(
        _batch([(64, 64), (64, 64)], num_classes), optim_wrapper)
    assert all(torch.isfinite(v).all() for v in losses.values())
    changed = sum(not torch.equal(b, p)
                  for b, p in zip(before, model.parameters()))
    assert changed > 0.9 * len(before)

    model.eval()
    with torch.no_grad():
        results = model.test_step(_batch([(80, 97)], num_classes, seed=1))
    prediction = results[0].pred_sem_seg.data
    assert prediction.shape == (1, 80, 97)
    assert 0 <= prediction.min() and prediction.max() < num_classes


@pytest.mark.slow
def test_mmpretrain_backbone_drops_in():
    ensure_mmpretrain_importable()
    cfg = Config.fromfile(
        str(CONFIG_DIR / 'fastfcn_jpu' /
            'fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480.py'))
    cfg.model.pretrained = None
    cfg.model.backbone = dict(
        type='mmpretrain.ResNetV1c',
        depth=50,
        out_indices=(1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True))
    model = _small_model(cfg)
    assert type(model.backbone).__module__.startswith('mmpretrain.')
    model.train()
    losses = model.train_step(
        _batch([(64, 64), (64, 64)], 59), build_optim_wrapper(
            model, cfg.optim_wrapper))
    assert all(torch.isfinite(v).all() for v in losses.values())


def test_heads_read_the_jpu_feature_and_aux_reads_c4():
    cfg = Config.fromfile(
        str(CONFIG_DIR / 'fastfcn_jpu' /
            'fastfcn_r50-d32_jpu_psp_4xb4-25k_pascal-context-59-480x480.py'))
    model = _small_model(cfg)
    assert model.backbone.dilations == (1, 1, 1, 1)
    feats = model.extract_feat(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape[1:]) for f in feats] == [(512, 8, 12),
                                                  (1024, 4, 6),
                                                  (2048, 2, 3),
                                                  (2048, 8, 12)]
    assert model.decode_head.in_index == 3
    assert model.auxiliary_head.in_index == 1
