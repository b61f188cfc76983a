# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The paper's experiment grid: JPU configs paired with dilated baselines,
the metafiles, and multi-scale + flip testing through ``--tta``."""
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.registry import MODELS
from mmseg_jpu.tools.jpuify import jpuify_model
from make_model_index import model_index_files
from .conftest import (CONFIG_DIR, REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG,
                       mmseg_test_tool, model_configs, tiny_run_config)

JPU_CONFIGS = sorted((CONFIG_DIR / 'fastfcn_jpu').glob('*.py'))
KSAC_CONFIGS = sorted((CONFIG_DIR / 'ksac').glob('*.py'))
#: JPU-side heads that are not the dilated twin's head, by config name
#: part: the official EncNet+JPU head has a 1x1 bottleneck where the
#: dilated EncNet keeps mmseg's 3x3, and KSAC replaces DeepLabV3's ASPPHead
#: by KSACHead with the same channels and rates.
DOCUMENTED_HEAD_CHANGES = {
    '_jpu_enc-1x1_': dict(type='FastFCNEncHead'),
    'ksac_': dict(type='KSACHead', fusion='sum'),
}


def _baseline_of(jpu_config):
    # the official EncNet+JPU head (enc-1x1) replaces the dilated EncNet's
    # 3x3 bottleneck with a 1x1, so its baseline is the plain EncNet; KSAC's
    # is DeepLabV3
    head = {'enc': 'encnet', 'enc-1x1': 'encnet', 'aspp': 'deeplabv3',
            'aspp-256': 'deeplabv3-256', 'psp': 'pspnet'}
    name = jpu_config.name
    if name.startswith('ksac_'):
        name = name.replace('ksac_', 'fastfcn_').replace(
            '-d32_jpu_', '-d32_jpu_aspp_')
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


def _with_defaults(cfg):
    """A model config as plain data, every registered module's omitted
    arguments filled in with their defaults, so that configs that build the
    same model compare equal."""
    if isinstance(cfg, (list, tuple)):
        return [_with_defaults(item) for item in cfg]
    if not isinstance(cfg, dict):
        return cfg
    filled = {key: _with_defaults(value) for key, value in cfg.items()}
    module = MODELS.get(cfg['type']) if 'type' in cfg else None
    for cls in inspect.getmro(module) if inspect.isclass(module) else ():
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if param.default is not inspect.Parameter.empty:
                filled.setdefault(name, _with_defaults(param.default))
    return json.loads(json.dumps(filled, sort_keys=True))


@pytest.mark.parametrize(
    'jpu_config', JPU_CONFIGS + KSAC_CONFIGS, ids=lambda p: p.stem)
def test_jpu_model_is_the_fastfcn_rule_applied_to_its_dilated_twin(
        jpu_config):
    """The paper's story and tools/jpuify.py's rule: the dilated model with
    the stride-32 backbone and JPU, heads rewired; only the documented head
    changes differ."""
    converted = jpuify_model(
        Config.fromfile(str(_baseline_of(jpu_config))).model)
    for part, change in DOCUMENTED_HEAD_CHANGES.items():
        if part in jpu_config.name:
            converted.decode_head.update(change)
    jpu = Config.fromfile(str(jpu_config)).model
    assert _with_defaults(converted) == _with_defaults(jpu)


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


def test_model_index_metafiles_and_readme_tables_are_up_to_date():
    for path, text in model_index_files(REPO_ROOT).items():
        assert path.read_text() == text, (
            f'{path} is stale: run .venv/bin/python '
            'tools/dev/make_model_index.py')


def test_model_index_lists_every_config_and_paper_figure():
    index = yaml.safe_load((REPO_ROOT / 'model-index.yml').read_text())
    listed = set()
    for metafile_path in index['Import']:
        data = yaml.safe_load((REPO_ROOT / metafile_path).read_text())
        for model in data['Models']:
            assert (REPO_ROOT / model['Config']).is_file()
            listed.add(model['Name'])
    assert listed == {p.stem for p in model_configs()}
    figures = yaml.safe_load((CONFIG_DIR / 'paper_figures.yml').read_text())
    assert set(figures['figures']) <= listed


@pytest.mark.slow
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


def test_mim_search_is_readable_at_80_columns(capsys):
    """mim cuts values to fit 80 columns; only the config paths are cut
    (the ``config id`` line above each names the config in full)."""
    from mim.commands.search import convert2df, print_df
    from modelindex import load
    print_df(convert2df(load(str(REPO_ROOT / 'model-index.yml'))), 80)
    lines = capsys.readouterr().out.splitlines()
    assert {line.split()[0] for line in lines if line.endswith('...')} == {
        'config'
    }


@pytest.mark.slow
def test_tta_multi_scale_flip_runs_through_mmseg_test_tool(tmp_path):
    # trained long enough to predict more than one class
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, tmp_path, max_iters=30)
    Runner.from_cfg(cfg).train()
    checkpoint = tmp_path / 'iter_30.pth'
    tta = mmseg_test_tool(TINY_PASCAL_CONTEXT_CONFIG, checkpoint,
                          tmp_path / 'tta', '--tta')
    single = mmseg_test_tool(TINY_PASCAL_CONTEXT_CONFIG, checkpoint,
                             tmp_path / 'single')
    # the 12 views (6 scales x flip) change the scores
    assert tta['mIoU'] != single['mIoU'], (tta, single)
    tta = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG)).tta_pipeline
    resizes, flips = tta[1]['transforms'][:2]
    assert [r['scale'][0] for r in resizes] == [260, 390, 520, 650, 780, 910]
    assert [f['prob'] for f in flips] == [0., 1.]
