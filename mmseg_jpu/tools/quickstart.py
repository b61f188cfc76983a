# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The README's main job: train, test and compare with a constant guess."""
import logging
from pathlib import Path
from typing import List

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.evaluation import IoUMetric
from mmseg.registry import DATASETS
from ..datasets.dataset_check import label_range
from ..utils.package_files import config_file

DEFAULT_CONFIG = config_file(
    'quickstart/fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-'
    '64x64.py')


class QuietConsoleRunner(Runner):
    """mmengine's ``Runner`` whose console shows errors only; the log file
    keeps every message and Python's warnings."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        console, *files = logger.handlers  # as mmengine's MMLogger adds them
        console.setLevel(logging.ERROR)
        logging.captureWarnings(True)
        logging.getLogger('py.warnings').handlers = files
        return logger


def constant_predictor_miou(cfg: Config) -> float:
    """mIoU (%) by mmseg's ``IoUMetric`` on the test dataset of predicting
    the train set's most frequent class everywhere."""
    num_classes, ignore_index = label_range(cfg.model.decode_head)

    def label_maps(loader: dict) -> List[torch.Tensor]:
        dataset = DATASETS.build(
            dict(loader.dataset, pipeline=[dict(type='LoadAnnotations')]))
        return [
            torch.from_numpy(dataset[i]['gt_seg_map'].astype(np.int64))
            for i in range(len(dataset))
        ]

    constant = int(
        sum(
            torch.bincount(label[label != ignore_index], minlength=num_classes)
            for label in label_maps(cfg.train_dataloader)).argmax())
    areas = zip(*(IoUMetric.intersect_and_union(
        torch.full_like(label, constant), label, num_classes, ignore_index)
                  for label in label_maps(cfg.test_dataloader)))
    iou = IoUMetric.total_area_to_metrics(*(sum(area.double() for area in kind)
                                            for kind in areas),
                                          metrics=['mIoU'])['IoU']
    return float(np.nanmean(np.asarray(iou)) * 100)


def run_quickstart(work_dir: Path) -> bool:
    """Train, test the trained model with mmseg's test loop and print its
    mIoU beside the constant predictor's; whether the model beat it."""
    cfg = Config.fromfile(str(DEFAULT_CONFIG))
    cfg.work_dir = str(work_dir)
    print(f'Training {DEFAULT_CONFIG.name}; full log in {work_dir}')
    runner = QuietConsoleRunner.from_cfg(cfg)
    runner.train()
    miou = float(runner.test()['mIoU'])
    constant = constant_predictor_miou(cfg)
    print(f"mIoU of the trained model (mmseg's test loop): {miou:.2f}\n"
          f'mIoU of the best constant predictor:           {constant:.2f}\n' +
          ('The model beats the constant predictor.' if miou >
           constant else 'The model does NOT beat the constant predictor.'))
    return miou > constant
