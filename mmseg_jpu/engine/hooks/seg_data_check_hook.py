# Copyright (c) mmseg_jpu contributors. All rights reserved.
import os
from typing import Iterator, Optional, Sequence

import torch
from mmengine.hooks import Hook

from mmseg.registry import HOOKS
from ...datasets.dataset_check import (label_range, labels_outside,
                                       leaf_datasets)
from ...utils.listing import listing
from ..rank_errors import raise_on_every_rank
from .segmentor_check_hook import unwrap_segmentor


@HOOKS.register_module()
class SegDataCheckHook(Hook):
    """Stop a run on broken segmentation data, naming the files.

    Before training, validation and testing, every image and annotation of
    the datasets must be a non-empty local file; before every iteration,
    the labels of the batch must be classes of the decode head or its
    ``ignore_index`` (:func:`~mmseg_jpu.datasets.dataset_check.label_range`).
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        datasets = [runner.train_dataloader.dataset]
        if runner.val_loop is not None:
            datasets.append(runner.val_dataloader.dataset)
        _check_files(runner, datasets)

    def before_val(self, runner) -> None:
        _check_files(runner, [runner.val_dataloader.dataset])

    def before_test(self, runner) -> None:
        _check_files(runner, [runner.test_dataloader.dataset])

    def _before_iter(self,
                     runner,
                     batch_idx: int,
                     data_batch: Optional[dict] = None,
                     mode: str = 'train') -> None:
        head = unwrap_segmentor(runner.model).decode_head
        samples = _flat((data_batch or {}).get('data_samples', []))

        def check():
            for sample in samples:
                if 'gt_sem_seg' in sample:
                    _check_labels(sample, *label_range(head))

        raise_on_every_rank(check, runner.logger)


def _flat(samples: Sequence) -> Iterator:
    """The samples of a batch (a ``--tta`` batch nests lists of them)."""
    for sample in samples:
        if isinstance(sample, (list, tuple)):
            yield from _flat(sample)
        else:
            yield sample


def _check_files(runner, datasets: list) -> None:
    """Rank 0 checks the files of ``datasets``; every rank raises."""

    def check():
        for dataset in datasets if runner.rank == 0 else []:
            for leaf in leaf_datasets(dataset):
                _check_dataset_files(leaf)

    raise_on_every_rank(check, runner.logger)


def _check_dataset_files(dataset) -> None:
    paths = [
        str(info[key])
        for info in map(dataset.get_data_info, range(len(dataset)))
        for key in ('img_path', 'seg_map_path')
        if info.get(key) and '://' not in str(info[key])
    ]
    broken = [
        f'{path} (missing)' if not os.path.isfile(path) else f'{path} (empty)'
        for path in paths
        if not os.path.isfile(path) or os.path.getsize(path) == 0
    ]
    if broken:
        where = ', '.join(f'{key}={getattr(dataset, key)}'
                          for key in ('ann_file', 'data_root')
                          if getattr(dataset, key, None))
        raise FileNotFoundError(
            f'{len(broken)} of the {len(paths)} files listed by '
            f'{type(dataset).__name__} ({where}) are missing or empty: '
            f'{listing(broken)}. Check data_root and data_prefix, remake the '
            "dataset with mmseg's converter, or remove these samples from "
            'the split.')


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
