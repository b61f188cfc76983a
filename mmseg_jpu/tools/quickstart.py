# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Train a JPU model, evaluate its checkpoint as mmseg's ``tools/test.py``
does and compare the mIoU with the best constant predictor."""
import json
from pathlib import Path

from mmengine.config import Config
from mmengine.runner import Runner

from ..utils.package_files import config_file
from .constant_baseline import constant_predictor_miou

DEFAULT_CONFIG = config_file(
    'quickstart/fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-'
    '64x64.py')
#: what the quickstart writes into its work dir besides mmengine's files
RESULT_FILE = 'quickstart_result.json'


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
    """mIoU of a checkpoint on the config's test set, computed as mmseg's
    ``tools/test.py`` computes it (``load_from`` + ``Runner.test()``)."""
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir / 'test')
    cfg.load_from = str(checkpoint)
    return float(Runner.from_cfg(cfg).test()['mIoU'])


def baseline(config: Path) -> float:
    cfg = Config.fromfile(str(config))
    return constant_predictor_miou(cfg.train_dataloader.dataset,
                                   cfg.test_dataloader.dataset)


def run_quickstart(config: Path, work_dir: Path) -> bool:
    """Train, test and report; the figures are also written to
    ``work_dir/quickstart_result.json``. Returns whether the model beat the
    constant predictor."""
    checkpoint = train(config, work_dir)
    miou = evaluate(config, checkpoint, work_dir)
    constant = baseline(config)
    beaten = miou > constant
    (work_dir / RESULT_FILE).write_text(
        json.dumps(
            dict(
                checkpoint=str(checkpoint),
                mIoU=miou,
                constant_predictor_mIoU=constant)))
    print(f'\nCheckpoint: {checkpoint}\n'
          f"mIoU of the trained model (mmseg's test loop): {miou:.2f}\n"
          f'mIoU of the best constant predictor:           {constant:.2f}\n'
          + ('The model beats the constant predictor.' if beaten else
             'The model does NOT beat the constant predictor.'))
    return beaten
