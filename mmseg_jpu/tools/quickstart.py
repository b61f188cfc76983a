# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Train a JPU model, evaluate its checkpoint with mmseg's test tool and
compare the mIoU with the best constant predictor."""
import sys
from pathlib import Path

from mmengine.config import Config
from mmengine.runner import Runner

from ..utils.package_files import config_file
from .constant_baseline import constant_predictor_miou
from .mmseg_tools import mmseg_tool, run_and_echo, miou_from_test_log

DEFAULT_CONFIG = config_file(
    'quickstart/fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-'
    '64x64.py')


def train(config: Path, work_dir: Path) -> Path:
    """Train with mmengine's Runner, as mmseg's ``tools/train.py`` does.

    Returns:
        Path: The last checkpoint written.
    """
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return Path((work_dir / 'last_checkpoint').read_text().strip())


def evaluate(config: Path, checkpoint: Path, work_dir: Path) -> float:
    """Evaluate a checkpoint with mmseg's ``tools/test.py``; return mIoU."""
    log = run_and_echo([
        sys.executable,
        str(mmseg_tool('test.py')),
        str(config),
        str(checkpoint), '--work-dir',
        str(work_dir / 'test')
    ])
    miou = miou_from_test_log(log)
    if miou is None:
        raise RuntimeError('mmseg tools/test.py printed no mIoU; see its '
                           'output above')
    return miou


def baseline(config: Path) -> float:
    cfg = Config.fromfile(str(config))
    return constant_predictor_miou(cfg.train_dataloader.dataset,
                                   cfg.test_dataloader.dataset)


def run_quickstart(config: Path, work_dir: Path) -> bool:
    """Train, test and report. Returns whether the model beat the constant
    predictor."""
    checkpoint = train(config, work_dir)
    miou = evaluate(config, checkpoint, work_dir)
    constant = baseline(config)
    beaten = miou > constant
    print(f'\nCheckpoint: {checkpoint}\n'
          f'mIoU of the trained model (mmseg tools/test.py): {miou:.2f}\n'
          f'mIoU of the best constant predictor:             {constant:.2f}\n'
          + ('The model beats the constant predictor.' if beaten else
             'The model does NOT beat the constant predictor.'))
    return beaten
