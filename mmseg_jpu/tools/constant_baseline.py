# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mIoU of the best constant predictor: the yardstick a trained model must
beat to show that it learned something from the images."""
import copy
from typing import Iterator, Tuple

import numpy as np
import torch
from mmengine.config import ConfigDict

from mmseg.evaluation import IoUMetric
from mmseg.registry import DATASETS


def _label_maps(dataset_cfg: ConfigDict) -> Tuple[int, Iterator[np.ndarray]]:
    """Number of classes and the label maps (after the dataset's label
    mapping, e.g. ``reduce_zero_label``) of a dataset config."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.pipeline = [dict(type='LoadAnnotations')]
    dataset = DATASETS.build(dataset_cfg)
    maps = (dataset[i]['gt_seg_map'] for i in range(len(dataset)))
    return len(dataset.metainfo['classes']), maps


def constant_predictor_miou(train_dataset_cfg: ConfigDict,
                            test_dataset_cfg: ConfigDict,
                            ignore_index: int = 255) -> float:
    """mIoU (in %, as mmseg's ``IoUMetric`` reports it) on the test dataset
    of predicting the train set's most frequent class for every pixel."""
    num_classes, maps = _label_maps(train_dataset_cfg)
    counts = sum(
        np.bincount(label[label != ignore_index], minlength=num_classes)
        for label in maps)
    constant = int(np.argmax(counts))
    num_classes, maps = _label_maps(test_dataset_cfg)
    labels = (torch.from_numpy(label.astype(np.int64)) for label in maps)
    areas = zip(*(IoUMetric.intersect_and_union(
        torch.full_like(label, constant), label, num_classes, ignore_index)
                  for label in labels))
    metrics = IoUMetric.total_area_to_metrics(
        *(sum(area.double() for area in kind) for kind in areas),
        metrics=['mIoU'])
    return float(np.nanmean(np.asarray(metrics['IoU'])) * 100)
