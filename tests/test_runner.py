# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""End to end with mmengine's Runner and mmseg's own tools on the tiny
datasets: train, checkpoint, resume, test with tools/test.py, and inference
through mmseg's Python API."""
import cv2
import pytest
from mmengine.runner import CheckpointLoader, Runner

from mmseg.apis import inference_model, init_model
from .conftest import (REPO_ROOT, TINY_ADE20K_CONFIG,
                       TINY_PASCAL_CONTEXT_CONFIG, metrics_in_process,
                       mmseg_test_tool, tiny_run_config)

# Runner training and mmseg tools in subprocesses
pytestmark = pytest.mark.slow

TINY_DATA = REPO_ROOT / 'data' / 'tiny'


def _train(config, work_dir, max_iters, resume=False):
    cfg = tiny_run_config(config, work_dir, max_iters)
    cfg.resume = resume
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _loss_history(checkpoint):
    """The training losses a Runner checkpoint's message hub recorded."""
    buffer = checkpoint['message_hub']['log_scalars']['train/loss']
    return list(buffer.data[0])


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
    final = CheckpointLoader.load_checkpoint(
        str(work_dir / 'iter_6.pth'), 'cpu')
    assert final['meta']['iter'] == 6
    # the resumed run went on from iter_4.pth: its history holds the four
    # saved losses, then two new ones (a fresh run would hold six new ones)
    history = _loss_history(final)
    assert len(history) == 6 and history[:4] == _loss_history(saved)

    checkpoint = work_dir / 'iter_6.pth'
    tool = mmseg_test_tool(config, checkpoint, tmp_path / 'test')
    assert tool['mIoU'] == metrics_in_process(config, checkpoint,
                                              tmp_path / 'here')['mIoU']

    model = init_model(str(config), str(work_dir / 'iter_6.pth'), 'cpu')
    image = sorted(TINY_DATA.rglob('*.jpg'))[0]
    result = inference_model(model, str(image))
    height, width = cv2.imread(str(image)).shape[:2]
    assert result.pred_sem_seg.data.shape == (1, height, width)
