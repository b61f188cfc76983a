# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmseg.registry import HOOKS
from ...datasets.dataset_check import label_range, labels_outside
from ..rank_errors import raise_on_every_rank
from .segmentor_check_hook import unwrap_segmentor


@HOOKS.register_module()
class SegDataCheckHook(Hook):
    """Stop a run at a batch whose labels are neither classes of the
    decode head nor its ``ignore_index``, naming the annotation and image
    (:func:`~mmseg_jpu.datasets.dataset_check.label_range`)."""

    priority = 'VERY_HIGH'

    def _before_iter(self,
                     runner,
                     batch_idx: int,
                     data_batch: Optional[dict] = None,
                     mode: str = 'train') -> None:
        head = unwrap_segmentor(runner.model).decode_head
        samples = (data_batch or {}).get('data_samples', [])
        if samples and isinstance(samples[0], (list, tuple)):  # --tta
            samples = [sample for group in samples for sample in group]

        def check():
            for sample in samples:
                if 'gt_sem_seg' in sample:
                    _check_labels(sample, *label_range(head))

        raise_on_every_rank(check, runner.logger)


def _check_labels(sample, num_classes: int, ignore_index: int) -> None:
    values = labels_outside(
        torch.unique(sample.gt_sem_seg.data).tolist(), num_classes,
        ignore_index)
    if not values:
        return
    meta = sample.metainfo
    raw = (f' (raw values {[v + 1 for v in values]} in the file, which '
           'reduce_zero_label lowers by 1)'
           if meta.get('reduce_zero_label') else '')
    raise ValueError(
        f"annotation {meta.get('seg_map_path')} of image "
        f"{meta.get('img_path')} has labels {values}{raw}, but the model "
        f'has {num_classes} classes (labels 0..{num_classes - 1}) and '
        f'ignores label {ignore_index}. Fix the annotation (set pixels to '
        f'ignore to {ignore_index}), or, if the dataset has more classes, '
        'set num_classes of model.decode_head and model.auxiliary_head.')
