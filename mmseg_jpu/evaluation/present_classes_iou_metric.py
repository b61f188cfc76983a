# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Dict

from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class PresentClassesIoUMetric(IoUMetric):
    """mmseg's ``IoUMetric`` whose per-class table lists only the classes
    that occur in the labels or the predictions.

    An absent class has no value (``nan``) and does not count in the means,
    so no metric changes. With ``nan_to_num`` set, every row is kept.
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        if self.format_only or self.nan_to_num is not None:
            return super().compute_metrics(results)
        intersect, union, pred, label = (sum(area) for area in zip(*results))
        present = union > 0
        meta = self.dataset_meta
        self.dataset_meta = dict(
            meta, classes=[c for c, p in zip(meta['classes'], present) if p])
        try:
            return super().compute_metrics([
                (intersect[present], union[present], pred[present],
                 label[present])
            ])
        finally:
            self.dataset_meta = meta
