# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Train a JPU model, evaluate its checkpoint as mmseg's ``tools/test.py``
does and compare the mIoU with the best constant predictor.

The console shows the facts of the run, the progress bar, errors and the
result; mmengine's full log (environment, config, hooks, warnings,
per-class tables) goes to the log file in the work dir."""
import json
import logging
from pathlib import Path

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from ..utils.package_files import config_file
from .constant_baseline import constant_predictor_miou

DEFAULT_CONFIG = config_file(
    'quickstart/fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-'
    '64x64.py')
#: what the quickstart writes into its work dir besides mmengine's files
RESULT_FILE = 'quickstart_result.json'


class QuietConsoleRunner(Runner):
    """mmengine's ``Runner`` whose console shows errors only; its log file
    keeps every message of the config's ``log_level`` and Python's
    warnings."""

    def build_logger(self, *args, **kwargs) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            if not isinstance(handler, logging.FileHandler):
                handler.setLevel(max(handler.level, logging.ERROR))
        logging.captureWarnings(True)
        logging.getLogger('py.warnings').handlers = [
            h for h in logger.handlers if isinstance(h, logging.FileHandler)
        ]
        return logger


def train(cfg: Config, work_dir: Path) -> Path:
    """Train with mmengine's Runner, as mmseg's ``tools/train.py`` does.

    Returns:
        Path: The last checkpoint written.
    """
    cfg = cfg.copy()
    cfg.work_dir = str(work_dir)
    runner = QuietConsoleRunner.from_cfg(cfg)
    print(f'Training {Path(cfg.filename).name} for '
          f'{cfg.train_cfg.max_iters} iterations; full log: '
          f'{runner.logger.log_file}')
    runner.train()
    return Path((work_dir / 'last_checkpoint').read_text().strip())


def evaluate(cfg: Config, checkpoint: Path, work_dir: Path) -> float:
    """mIoU of a checkpoint on the config's test set, computed as mmseg's
    ``tools/test.py`` computes it (``load_from`` + ``Runner.test()``)."""
    cfg = cfg.copy()
    cfg.work_dir = str(work_dir / 'test')
    cfg.load_from = str(checkpoint)
    runner = QuietConsoleRunner.from_cfg(cfg)
    print(f'Testing {checkpoint}; full log: {runner.logger.log_file}')
    return float(runner.test()['mIoU'])


def run_quickstart(cfg: Config, work_dir: Path) -> bool:
    """Train, test and report; the figures are also written to
    ``work_dir/quickstart_result.json``. Returns whether the model beat the
    constant predictor."""
    checkpoint = train(cfg, work_dir)
    miou = evaluate(cfg, checkpoint, work_dir)
    constant = constant_predictor_miou(cfg.train_dataloader.dataset,
                                       cfg.test_dataloader.dataset)
    beaten = miou > constant
    (work_dir / RESULT_FILE).write_text(
        json.dumps(
            dict(
                checkpoint=str(checkpoint),
                mIoU=miou,
                constant_predictor_mIoU=constant)))
    print(f"mIoU of the trained model (mmseg's test loop): {miou:.2f}\n"
          f'mIoU of the best constant predictor:           {constant:.2f}\n'
          + ('The model beats the constant predictor.' if beaten else
             'The model does NOT beat the constant predictor.'))
    return beaten
