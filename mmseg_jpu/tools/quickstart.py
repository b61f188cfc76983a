# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Train a JPU model, test its checkpoint as mmseg's ``tools/test.py`` does
and compare the mIoU with the best constant predictor's.

The console shows the facts of the run, the progress bar, errors and the
result; mmengine's full log goes to the log file in the work dir."""
import json
import logging
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.runner import Runner

from mmseg.evaluation import IoUMetric
from mmseg.registry import DATASETS
from ..datasets.dataset_check import label_range
from ..utils.package_files import config_file

DEFAULT_CONFIG = config_file(
    'quickstart/fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-'
    '64x64.py')
#: what the quickstart writes into its work dir besides mmengine's files
RESULT_FILE = 'quickstart_result.json'


class QuietConsoleRunner(Runner):
    """mmengine's ``Runner`` whose console shows errors only; its log file
    keeps every message and Python's warnings."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        files = [h for h in logger.handlers
                 if isinstance(h, logging.FileHandler)]
        for handler in set(logger.handlers) - set(files):
            handler.setLevel(max(handler.level, logging.ERROR))
        logging.captureWarnings(True)
        logging.getLogger('py.warnings').handlers = files
        return logger


def _runner(cfg: Config, what: str, **settings) -> Runner:
    """A quiet runner of ``cfg`` with ``settings``, announcing ``what``."""
    cfg = cfg.copy()
    cfg.update(settings)
    runner = QuietConsoleRunner.from_cfg(cfg)
    print(f'{what}; full log: {runner.logger.log_file}')
    return runner


def _label_maps(dataset_cfg: ConfigDict) -> Iterator[np.ndarray]:
    """The label maps of a dataset, as ``LoadAnnotations`` loads them
    (``reduce_zero_label`` and ``label_map`` applied)."""
    dataset = DATASETS.build(
        dict(dataset_cfg, pipeline=[dict(type='LoadAnnotations')]))
    return (dataset[i]['gt_seg_map'] for i in range(len(dataset)))


def constant_predictor_miou(cfg: Config) -> float:
    """mIoU (in %, as mmseg's ``IoUMetric`` gives it) on the test dataset of
    predicting the train set's most frequent class for every pixel."""
    num_classes, ignore_index = label_range(cfg.model.decode_head)
    counts = sum(
        np.bincount(label[label != ignore_index], minlength=num_classes)
        for label in _label_maps(cfg.train_dataloader.dataset))
    labels = [torch.from_numpy(label.astype(np.int64))
              for label in _label_maps(cfg.test_dataloader.dataset)]
    areas = zip(*(IoUMetric.intersect_and_union(
        torch.full_like(label, int(np.argmax(counts))), label, num_classes,
        ignore_index) for label in labels))
    metrics = IoUMetric.total_area_to_metrics(
        *(sum(area.double() for area in kind) for kind in areas),
        metrics=['mIoU'])
    return float(np.nanmean(np.asarray(metrics['IoU'])) * 100)


def run_quickstart(cfg: Config, work_dir: Path) -> bool:
    """Train and test with mmengine's Runner, as mmseg's ``tools/train.py``
    and ``tools/test.py`` do, print the mIoU beside the constant
    predictor's (also written to ``work_dir/quickstart_result.json``) and
    return whether the model beat it."""
    _runner(cfg, f'Training {Path(cfg.filename).name} for '
            f'{cfg.train_cfg.max_iters} iterations',
            work_dir=str(work_dir)).train()
    checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
    miou = float(
        _runner(cfg, f'Testing {checkpoint}', work_dir=str(work_dir / 'test'),
                load_from=checkpoint).test()['mIoU'])
    constant = constant_predictor_miou(cfg)
    (work_dir / RESULT_FILE).write_text(
        json.dumps(
            dict(
                checkpoint=checkpoint,
                mIoU=miou,
                constant_predictor_mIoU=constant)))
    print(f"mIoU of the trained model (mmseg's test loop): {miou:.2f}\n"
          f'mIoU of the best constant predictor:           {constant:.2f}\n'
          + ('The model beats the constant predictor.' if miou > constant
             else 'The model does NOT beat the constant predictor.'))
    return miou > constant
