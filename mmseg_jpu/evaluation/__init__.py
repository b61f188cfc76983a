# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .present_classes_iou_metric import PresentClassesIoUMetric

__all__ = ['PresentClassesIoUMetric']
