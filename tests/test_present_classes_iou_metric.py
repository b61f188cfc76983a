# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""``PresentClassesIoUMetric`` gives mmseg's ``IoUMetric`` figures and lists
only the classes in the labels or the predictions."""
import re

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.structures import PixelData

from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample
from mmseg_jpu.evaluation import PresentClassesIoUMetric

CLASSES = [f'class{i}' for i in range(8)]


def _samples():
    """Labels hold classes 1, 2 and 255 (ignored); predictions 1, 2, 5."""
    label = torch.ones(6, 6, dtype=torch.long)
    label[:, 3:] = 2
    label[0] = 255
    prediction = label.clone()
    prediction[0] = 1
    prediction[5, :2] = 5
    prediction[4, 3:] = 1
    sample = SegDataSample(
        gt_sem_seg=PixelData(data=label[None]),
        pred_sem_seg=PixelData(data=prediction[None]))
    return [sample.to_dict()] * 2


def _rows(table: str) -> list:
    """The class names of a printed per-class table."""
    return re.findall(r'^\|\s*(class\d)\s*\|', table, re.M)


def _evaluate(metric_type, capsys, **kwargs):
    MMLogger.get_instance('present_classes_test')
    metric = metric_type(iou_metrics=['mIoU', 'mDice', 'mFscore'], **kwargs)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, _samples())
    figures = metric.evaluate(2)
    assert metric.dataset_meta == dict(classes=CLASSES)
    return figures, capsys.readouterr().out


def test_same_figures_as_iou_metric_with_absent_classes_left_out(capsys):
    ours, our_table = _evaluate(PresentClassesIoUMetric, capsys)
    theirs, their_table = _evaluate(IoUMetric, capsys)
    assert ours == pytest.approx(theirs, nan_ok=True)
    assert ours['mIoU'] < 100  # class 5 is predicted but absent: IoU 0
    assert _rows(their_table) == CLASSES
    assert _rows(our_table) == ['class1', 'class2', 'class5']


def test_nan_to_num_keeps_every_row(capsys):
    ours, our_table = _evaluate(PresentClassesIoUMetric, capsys, nan_to_num=0)
    theirs, their_table = _evaluate(IoUMetric, capsys, nan_to_num=0)
    assert ours == theirs and our_table == their_table
