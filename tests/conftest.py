# Copyright (c) mmseg_jpu contributors. All rights reserved.
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmseg_jpu  # noqa: F401  (registers the plugin's modules)
from mmseg_jpu.tools.mmseg_tools import mmseg_tool

REPO_ROOT = Path(__file__).resolve().parents[1]
# the developer tools (tiny-dataset and metafile generators) are scripts,
# not part of the installed package; the tests import them by name
sys.path.insert(0, str(REPO_ROOT / 'tools' / 'dev'))
CONFIG_DIR = REPO_ROOT / 'configs'
QUICKSTART_DIR = CONFIG_DIR / 'quickstart'
TINY_PASCAL_CONTEXT_CONFIG = (
    QUICKSTART_DIR /
    'fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-64x64.py')
TINY_ADE20K_CONFIG = (
    QUICKSTART_DIR / 'fastfcn_r18-d32_jpu_psp_1xb8-300_tiny-ade20k-64x64.py')


def model_configs():
    """Every runnable config in configs/ (the _base_ files are parts)."""
    return sorted(p for p in CONFIG_DIR.rglob('*.py')
                  if '_base_' not in p.parts)


def tiny_run_config(config: Path, work_dir: Path, max_iters: int = 4):
    """A config trimmed to a few iterations, checkpointing every 2."""
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.param_scheduler[0].end = max_iters
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks = []
    cfg.train_dataloader.batch_size = 2
    cfg.randomness = dict(seed=0)
    return cfg


def mmseg_test_tool(config, checkpoint, work_dir, *args) -> dict:
    """Run mmseg's ``tools/test.py CONFIG CHECKPOINT`` in a subprocess and
    return the metrics it wrote."""
    result = run_python(mmseg_tool('test.py'), config, checkpoint,
                        '--work-dir', work_dir, *args)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    return read_test_metrics(work_dir)


def read_test_metrics(work_dir) -> dict:
    """The metrics of the last test run in ``work_dir``: the last line of
    ``<timestamp>/<timestamp>.json``, which mmengine's ``LoggerHook``
    writes. Under DDP every rank dumps the same metrics into that file
    (mmengine's ``after_test_epoch`` has no main-process check), so a
    shorter write may leave the tail of a longer one after it: the first
    JSON object of the line is read."""
    runs = sorted(path for path in Path(work_dir).glob('*/*.json')
                  if path.stem == path.parent.name)
    line = runs[-1].read_text().splitlines()[-1]
    return json.JSONDecoder().raw_decode(line)[0]


def metrics_in_process(config, checkpoint, work_dir, **cfg_options) -> dict:
    """The metrics of ``checkpoint`` computed here with mmengine's Runner,
    as mmseg's ``tools/test.py`` computes them."""
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(cfg_options)
    cfg.work_dir, cfg.load_from = str(work_dir), str(checkpoint)
    return Runner.from_cfg(cfg).test()


def run_python(*command) -> subprocess.CompletedProcess:
    """``python *command`` with one OpenMP thread (fastest for the tiny
    models on a few shared cores), output captured."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *map(str, command)],
                          capture_output=True,
                          text=True,
                          env=env)


@pytest.fixture
def one_thread():
    """One torch thread, fastest for the tiny models on a few shared
    cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def untrained_tiny_checkpoint(tmp_path_factory):
    """The quickstart model, untrained, saved with its dataset meta."""
    from mmseg.datasets import PascalContextDataset59
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    path = tmp_path_factory.mktemp('model') / 'model.pth'
    torch.save(
        dict(
            meta=dict(dataset_meta=PascalContextDataset59.METAINFO),
            state_dict=MODELS.build(cfg.model).state_dict()), path)
    return path


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')
    torch.manual_seed(0)
