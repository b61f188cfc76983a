# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""End to end with mmengine's Runner and mmseg's own tools on the tiny
datasets: train, checkpoint, resume, test with tools/test.py, and inference
through mmseg's Python API."""
import sys

import cv2
import pytest
from mmengine.runner import CheckpointLoader, Runner

from mmseg.apis import inference_model, init_model
from mmseg_jpu.tools.mmseg_tools import (miou_from_test_log, mmseg_tool,
                                         run_and_echo)
from .conftest import (REPO_ROOT, TINY_ADE20K_CONFIG,
                       TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config)

TINY_DATA = REPO_ROOT / 'data' / 'tiny'


def _train(config, work_dir, max_iters, resume=False):
    cfg = tiny_run_config(config, work_dir, max_iters)
    cfg.resume = resume
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _log_text(work_dir):
    return '\n'.join(p.read_text() for p in sorted(work_dir.glob('*/*.log')))


@pytest.mark.parametrize(
    'config', [TINY_PASCAL_CONTEXT_CONFIG, TINY_ADE20K_CONFIG],
    ids=['pascal_context_59', 'ade20k'])
def test_train_checkpoint_resume_and_test(config, tmp_path):
    work_dir = tmp_path / 'work'
    runner = _train(config, work_dir, max_iters=4)
    assert runner.iter == 4
    assert (work_dir / 'iter_2.pth').is_file()
    checkpoint = work_dir / 'iter_4.pth'
    assert checkpoint.is_file()
    saved = CheckpointLoader.load_checkpoint(str(checkpoint), 'cpu')
    assert saved['meta']['iter'] == 4

    resumed = _train(config, work_dir, max_iters=6, resume=True)
    assert resumed.iter == 6
    log = _log_text(work_dir)
    assert f'Load checkpoint from {checkpoint}' in log
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    final = CheckpointLoader.load_checkpoint(
        str(work_dir / 'iter_6.pth'), 'cpu')
    assert final['meta']['iter'] == 6

    output = run_and_echo([
        sys.executable,
        str(mmseg_tool('test.py')),
        str(config),
        str(work_dir / 'iter_6.pth'), '--work-dir',
        str(tmp_path / 'test')
    ])
    miou = miou_from_test_log(output)
    assert miou is not None and 0.0 <= miou <= 100.0

    model = init_model(str(config), str(work_dir / 'iter_6.pth'), 'cpu')
    image = sorted(TINY_DATA.rglob('*.jpg'))[0]
    result = inference_model(model, str(image))
    height, width = cv2.imread(str(image)).shape[:2]
    assert result.pred_sem_seg.data.shape == (1, height, width)
