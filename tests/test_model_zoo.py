# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The paper's experiment grid: JPU configs paired with dilated baselines,
the metafiles, and multi-scale + flip testing through ``--tta``."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.registry import MODELS
from mmseg_jpu.tools.mmseg_tools import (miou_from_test_log, mmseg_tool,
                                         run_and_echo)
from make_model_index import (COLLECTIONS, PAPER_FIGURES,
                                         metafile, render)
from .conftest import (CONFIG_DIR, REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG,
                       model_configs, tiny_run_config)

JPU_CONFIGS = sorted((CONFIG_DIR / 'fastfcn_jpu').glob('*.py'))


def _baseline_of(jpu_config):
    # the official EncNet+JPU head (enc-1x1) replaces the dilated EncNet's
    # 3x3 bottleneck with a 1x1, so its baseline is the plain EncNet
    head = {'enc': 'encnet', 'enc-1x1': 'encnet', 'aspp': 'deeplabv3',
            'aspp-256': 'deeplabv3-256', 'psp': 'pspnet'}
    name = jpu_config.name
    for short, algorithm in head.items():
        name = name.replace(f'_jpu_{short}_', f'_{algorithm}_')
    algorithm, backbone, rest = name.split('_', 2)
    depth = backbone.split('-')[0].replace('fastfcn', '')
    return CONFIG_DIR / 'dilated_baselines' / (
        f'{rest.split("_", 1)[0]}_{depth}-d8_{rest.split("_", 1)[1]}')


@pytest.mark.parametrize('jpu_config', JPU_CONFIGS, ids=lambda p: p.stem)
def test_every_jpu_config_has_its_dilated_baseline(jpu_config):
    baseline = _baseline_of(jpu_config)
    assert baseline.is_file(), baseline
    jpu, dilated = (Config.fromfile(str(p)) for p in (jpu_config, baseline))
    assert jpu.model.backbone.type == 'ResNetD32'
    assert dilated.model.backbone.type == 'ResNetV1c'
    assert dilated.model.backbone.dilations == (1, 1, 2, 4)
    assert dilated.model.get('neck') is None
    for key in ('depth', ):
        assert jpu.model.backbone[key] == dilated.model.backbone[key]
    assert issubclass(MODELS.get(jpu.model.decode_head.type),
                      MODELS.get(dilated.model.decode_head.type))
    assert (jpu.model.decode_head.num_classes ==
            dilated.model.decode_head.num_classes)
    assert jpu.train_dataloader == dilated.train_dataloader
    assert jpu.optim_wrapper == dilated.optim_wrapper
    assert jpu.train_cfg == dilated.train_cfg


def test_dilated_baseline_head_sees_stride_8_features():
    cfg = Config.fromfile(
        str(CONFIG_DIR / 'dilated_baselines' /
            'encnet_r50-d8_4xb4-25k_pascal-context-59-480x480.py'))
    backbone = MODELS.build(cfg.model.backbone)
    backbone.eval()
    with torch.no_grad():
        outs = backbone(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape[1:]) for o in outs] == [(512, 8, 12), (1024, 8, 12),
                                                 (2048, 8, 12)]


@pytest.mark.parametrize('folder', list(COLLECTIONS))
def test_metafiles_are_up_to_date(folder):
    path = CONFIG_DIR / folder / 'metafile.yaml'
    expected = render(metafile(path.parent, REPO_ROOT))
    assert path.read_text() == expected, \
        'run .venv/bin/python tools/dev/make_model_index.py'


def test_model_index_lists_every_config_and_paper_figure():
    index = yaml.safe_load((REPO_ROOT / 'model-index.yml').read_text())
    listed = set()
    for metafile_path in index['Import']:
        data = yaml.safe_load((REPO_ROOT / metafile_path).read_text())
        for model in data['Models']:
            assert (REPO_ROOT / model['Config']).is_file()
            listed.add(model['Name'])
    assert listed == {p.stem for p in model_configs()}
    assert set(PAPER_FIGURES) <= listed


def test_mim_search_reads_the_model_index():
    mim = Path(sys.executable).parent / 'mim'
    result = subprocess.run(
        [str(mim), 'search', 'mmseg_jpu', '--model', 'fastfcn-jpu'],
        capture_output=True,
        text=True,
        check=True)
    assert 'fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480' in \
        result.stdout
    assert '51.05' in result.stdout


def test_tta_multi_scale_flip_runs_through_mmseg_test_tool(tmp_path):
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, tmp_path, max_iters=2)
    Runner.from_cfg(cfg).train()
    output = run_and_echo([
        sys.executable,
        str(mmseg_tool('test.py')),
        str(TINY_PASCAL_CONTEXT_CONFIG),
        str(tmp_path / 'iter_2.pth'), '--tta', '--work-dir',
        str(tmp_path / 'tta')
    ])
    assert miou_from_test_log(output) is not None
    tta = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG)).tta_pipeline
    resizes, flips = tta[1]['transforms'][:2]
    assert [r['scale'][0] for r in resizes] == [260, 390, 520, 650, 780, 910]
    assert [f['prob'] for f in flips] == [0., 1.]
