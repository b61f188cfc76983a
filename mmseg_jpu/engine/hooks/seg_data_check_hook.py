# Copyright (c) mmseg_jpu contributors. All rights reserved.
import os
from typing import Iterator, Optional, Sequence, Set

import torch
from mmengine.hooks import Hook
from torch.utils.data import Dataset

from mmseg.registry import HOOKS
from ...datasets.dataset_check import (label_range, labels_outside,
                                       leaf_datasets, listing)
from ..rank_errors import raise_on_every_rank
from .segmentor_check_hook import unwrap_segmentor


@HOOKS.register_module()
class SegDataCheckHook(Hook):
    """Stop a run on broken segmentation data, naming the files.

    * Before training (for the train and val datasets), validation and
      testing: every image and annotation the dataset lists must be a
      non-empty local file. A missing annotation would otherwise stop the
      run only when its sample is loaded, and an empty image with an OpenCV
      error that names no file. Paths on other storage backends (``s3://``,
      ...) are not checked.
    * Before every train, val and test iteration: the annotation labels
      must be class indices below the decode head's ``num_classes`` or its
      ``ignore_index`` (:func:`~mmseg_jpu.datasets.dataset_check.
      label_range`, the rule ``tools/check_dataset.py`` applies too). Other
      values are rejected, not ignored: CrossEntropyLoss would stop with
      "Target 59 is out of bounds" (a device-side assert on GPUs) and
      mmseg's ``IoUMetric`` would drop them silently. With
      ``reduce_zero_label`` the message also gives the raw values on disk
      (reduced label + 1).

    The plugin's configs register it in ``default_hooks``
    (``data_check``); add it to your own config with
    ``default_hooks = dict(data_check=dict(type='SegDataCheckHook'))``.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._checked_datasets: Set[int] = set()

    def before_train(self, runner) -> None:
        self._check_files(runner, runner.train_dataloader.dataset)
        if runner.val_loop is not None:
            self._check_files(runner, runner.val_dataloader.dataset)

    def before_val(self, runner) -> None:
        self._check_files(runner, runner.val_dataloader.dataset)

    def before_test(self, runner) -> None:
        self._check_files(runner, runner.test_dataloader.dataset)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        self._check_labels(runner, data_batch)

    def before_val_iter(self, runner, batch_idx: int,
                        data_batch: Optional[dict] = None) -> None:
        self._check_labels(runner, data_batch)

    def before_test_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None) -> None:
        self._check_labels(runner, data_batch)

    def _check_files(self, runner, dataset: Dataset) -> None:
        """Rank 0 checks the files of each dataset once; every rank stops
        with its message."""
        leaves = [
            leaf for leaf in leaf_datasets(dataset)
            if id(leaf) not in self._checked_datasets
        ]
        self._checked_datasets.update(map(id, leaves))

        def check():
            if runner.rank == 0:
                for leaf in leaves:
                    _check_dataset_files(leaf)

        raise_on_every_rank(check, runner.logger)

    @staticmethod
    def _check_labels(runner, data_batch: Optional[dict]) -> None:
        """Each rank checks its batch; every rank stops with the message
        of the first rank whose batch has a label out of range."""
        head = unwrap_segmentor(runner.model).decode_head
        samples = _flat((data_batch or {}).get('data_samples', []))

        def check():
            for sample in samples:
                if 'gt_sem_seg' in sample:
                    _check_label_range(sample, *label_range(head))

        raise_on_every_rank(check, runner.logger)


def _flat(samples: Sequence) -> Iterator:
    """The data samples of a batch; a ``--tta`` batch holds a list of
    augmented samples per image."""
    for sample in samples:
        if isinstance(sample, (list, tuple)):
            yield from _flat(sample)
        else:
            yield sample


def _check_dataset_files(dataset: Dataset) -> None:
    """Raise ``FileNotFoundError`` listing the images and annotations of
    ``dataset`` that are missing or empty (local paths only)."""
    infos = (dataset.get_data_info(i) for i in range(len(dataset)))
    paths = [
        str(path) for info in infos
        for path in (info.get('img_path'), info.get('seg_map_path'))
        if path and '://' not in str(path)
    ]
    broken = []
    for path in paths:
        if not os.path.isfile(path):
            broken.append(f'{path} (missing)')
        elif os.path.getsize(path) == 0:
            broken.append(f'{path} (empty)')
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


def _check_label_range(sample, num_classes: int, ignore_index: int) -> None:
    """Raise ``ValueError`` naming the annotation file if a label of the
    ``SegDataSample`` is neither below ``num_classes`` nor
    ``ignore_index``."""
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
