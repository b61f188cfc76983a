# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Check the datasets of a config before a long run.

:func:`check_layout` checks that the folders and split file exist (the
plugin's loops run it before mmengine builds a dataset). :func:`check_config`
loads every sample of the config's datasets with the config's own
``LoadImageFromFile`` and ``LoadAnnotations`` (so ``reduce_zero_label`` and
``label_map`` apply as in training), compares sizes with
``CheckSegMapShape`` and the label values with the head's range
(:func:`label_range`, the rule of :class:`~mmseg_jpu.engine.SegDataCheckHook`).
"""
import os
import os.path as osp
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from inspect import signature
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import scandir, track_iter_progress

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import DATASETS, TRANSFORMS
from ..utils.listing import listing
from .transforms import CheckSegMapShape

SPLITS = ('train', 'val', 'test')
#: the section of docs/datasets.md for each mmseg dataset class.
DATASET_DOCS = {
    'PascalContextDataset59': 'pascal-context',
    'PascalContextDataset': 'pascal-context',
    'ADE20KDataset': 'ade20k',
    'CityscapesDataset': 'cityscapes',
}
#: the label ``BaseDecodeHead`` ignores unless its config says otherwise.
DEFAULT_IGNORE_INDEX = signature(
    BaseDecodeHead).parameters['ignore_index'].default
#: errors of mmcv's decoders on a file they cannot read.
UNREADABLE = (AssertionError, OSError, SyntaxError, ValueError)
#: the lists of files with a problem in a :class:`SplitReport`, as reported.
FILE_PROBLEMS = {
    'missing_images': 'listed images that do not exist',
    'missing_annotations': 'images without annotation',
    'orphan_annotations': 'annotations without image',
    'unreadable': 'unreadable files',
    'size_mismatches': 'annotations of another size than their image',
    'multichannel': 'colour (multi-channel) annotations, not class indices',
}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's folders or split file are not where its config looks."""


def leaf_datasets(dataset) -> Iterator:
    """The datasets (or dataset configs) inside mmengine's wrappers
    (``ConcatDataset.datasets``, ``RepeatDataset.dataset``...), or
    ``dataset`` itself."""
    get = (dataset.get if isinstance(dataset, dict) else partial(
        getattr, dataset))
    if get('datasets', None) is not None:
        for leaf in get('datasets', None):
            yield from leaf_datasets(leaf)
    elif get('dataset', None) is not None:
        yield from leaf_datasets(get('dataset', None))
    else:
        yield dataset


def label_range(decode_head) -> Tuple[int, int]:
    """``(num_classes, ignore_index)`` of the head that makes the
    prediction: ``decode_head`` or the last head of a cascade, built or as
    configured (without ``ignore_index``: mmseg's default)."""
    if isinstance(decode_head, (list, tuple, nn.ModuleList)):
        decode_head = decode_head[-1]
    if isinstance(decode_head, dict):
        return (decode_head['num_classes'],
                decode_head.get('ignore_index', DEFAULT_IGNORE_INDEX))
    return decode_head.num_classes, decode_head.ignore_index


def labels_outside(values: Iterable[int], num_classes: int,
                   ignore_index: int) -> List[int]:
    """The label values that are neither a class nor ``ignore_index``."""
    return sorted(v for v in values if v >= num_classes and v != ignore_index)


def missing_layout(dataset_cfg) -> List[str]:
    """The ``data_root``, image and annotation folders and split file of a
    dataset config that do not exist, joined as mmengine's ``BaseDataset``
    joins them (``s3://``... paths are not checked); a missing folder hides
    what it would hold."""
    root = dataset_cfg.get('data_root') or ''
    prefix = dataset_cfg.get('data_prefix') or {}
    needs = [(root, osp.isdir)] if root else []
    needs += [(osp.join(root, prefix[key]), osp.isdir)
              for key in ('img_path', 'seg_map_path') if prefix.get(key)]
    if dataset_cfg.get('ann_file'):
        needs.append((osp.join(root, dataset_cfg['ann_file']), osp.isfile))
    missing: List[str] = []
    for path, exists in needs:
        if not ('://' in path or exists(path)
                or any(map(path.startswith, missing))):
            missing.append(path)
    return missing


def where(dataset_cfg) -> str:
    """The dataset class and where it looks, for messages."""
    root = dataset_cfg.get('data_root') or ''
    absolute = f' ({osp.abspath(root)})' if root else ''
    return f"{dataset_cfg.get('type')} at data_root {root!r}{absolute}"


def how_to_prepare(dataset_cfg, config: Optional[str] = None) -> str:
    """How to prepare the dataset (and check it with ``config``)."""
    section = DATASET_DOCS.get(str(dataset_cfg.get('type')))
    docs = 'docs/datasets.md' + (f'#{section}' if section else '')
    check = (', then check it with: .venv/bin/python tools/check_dataset.py '
             f'{config}' if config else '')
    return (f'Prepare it as {docs} of mmseg_jpu says (data/ must be in the '
            'folder you run from, or set data_root to where the dataset '
            f'is){check}')


def check_layout(split: str, dataset_cfg, config: str) -> None:
    """Raise :class:`DatasetNotFoundError` naming what of the ``split``
    dataset of ``config`` is missing, the working directory and how to
    prepare the data."""
    for leaf in leaf_datasets(dataset_cfg):
        missing = missing_layout(leaf)
        if missing:
            raise DatasetNotFoundError(
                f'the {split} dataset is not prepared: {where(leaf)}: '
                f'missing {listing(missing)} (relative paths start in the '
                f'working directory {os.getcwd()}). '
                f'{how_to_prepare(leaf, config)}.')


@dataclass
class SplitReport:
    """What :func:`check_split` found in one dataset, used by ``splits``:
    ``files`` holds the files of each of :data:`FILE_PROBLEMS` (``None``:
    not checked), ``label_files`` the number of annotations holding each
    label value, ``bad_labels`` the annotations of each value out of
    range."""
    splits: List[str]
    where: str
    missing_layout: List[str]
    how_to_prepare: str
    num_classes: int
    ignore_index: int
    reduce_zero_label: bool = False
    num_images: int = 0
    num_annotations: int = 0
    files: Dict[str, Optional[List[str]]] = field(
        default_factory=lambda: {name: [] for name in FILE_PROBLEMS})
    label_files: Dict[int, int] = field(default_factory=Counter)
    bad_labels: Dict[int, List[str]] = field(
        default_factory=lambda: defaultdict(list))

    def problems(self) -> List[str]:
        """What keeps a run on this dataset from working, one line each
        (annotations without image do not)."""
        if self.missing_layout:
            return [f'missing {listing(self.missing_layout)}']
        problems = [] if self.num_images else ['no images']
        problems += [
            f'{len(self.files[name])} {what}'
            for name, what in FILE_PROBLEMS.items()
            if name != 'orphan_annotations' and self.files[name]
        ]
        if self.bad_labels:
            problems.append(f'label values outside the {self.num_classes} '
                            f'classes: {sorted(self.bad_labels)}')
        return problems

    def lines(self) -> List[str]:
        """The report, for people."""
        head = f'{", ".join(self.splits)}: {self.where}'
        if self.missing_layout:
            return [head, f'  missing: {listing(self.missing_layout)}',
                    f'  {self.how_to_prepare}']
        lines = [head, f'  {self.num_images} images, '
                 f'{self.num_annotations} annotations']
        for name, what in FILE_PROBLEMS.items():
            files = self.files[name]
            lines.append(
                f'  {what}: not checked (the split file lists the samples)'
                if files is None else f'  {what}: {len(files)}' +
                (f' ({listing(files)})' if files else ''))
        after = ' after reduce_zero_label' if self.reduce_zero_label else ''
        values = ', '.join(f'{v} ({n})'
                           for v, n in sorted(self.label_files.items()))
        lines.append(f'  label values{after} (annotations holding each): '
                     f'{values or "none"}; the model has {self.num_classes} '
                     f'classes (0..{self.num_classes - 1}) and ignores '
                     f'{self.ignore_index}')
        for value, files in sorted(self.bad_labels.items()):
            raw = (f' (raw {value + 1} in the files)'
                   if self.reduce_zero_label else '')
            lines.append(f'    label {value}{raw} in {len(files)} '
                         f'annotations: {listing(files)}')
        return lines


def _check_sample(info: dict, pipeline: dict) -> Tuple[Dict[str, str], set]:
    """``({problem: file}, label values)`` of one sample, loaded with the
    ``pipeline``'s loading transforms."""
    image, annotation = info['img_path'], info.get('seg_map_path')
    results, problems = dict(info, seg_fields=[]), {}
    try:
        results = pipeline['LoadImageFromFile'](results)
    except FileNotFoundError:
        problems['missing_images'] = image
    except UNREADABLE:
        problems['unreadable'] = image
    if annotation is None:
        return problems, set()
    try:
        labels = pipeline['LoadAnnotations'](results)['gt_seg_map']
    except FileNotFoundError:
        return dict(problems, missing_annotations=image), set()
    except UNREADABLE:
        return dict(problems, unreadable=annotation), set()
    if labels.ndim == 3:
        return dict(problems, multichannel=annotation), set()
    if 'ori_shape' in results:
        try:
            CheckSegMapShape()(results)
        except ValueError:
            (height, width), (img_h, img_w) = (labels.shape,
                                               results['ori_shape'])
            problems['size_mismatches'] = (
                f'{annotation} {height}x{width} vs image {img_h}x{img_w}')
    return problems, set(np.unique(labels).tolist())


def _orphan_annotations(dataset, data_list: List[dict]) -> List[str]:
    """Annotations in the annotation folder whose image is not listed."""
    folder = dataset.data_prefix.get('seg_map_path')
    if not folder or not osp.isdir(folder):
        return []
    found = {
        osp.join(folder, path)
        for path in scandir(folder, dataset.seg_map_suffix, recursive=True)
    }
    return sorted(found - {info.get('seg_map_path') for info in data_list})


def check_split(splits: List[str],
                dataset_cfg,
                num_classes: int,
                ignore_index: int = DEFAULT_IGNORE_INDEX,
                workers: int = 4) -> SplitReport:
    """Check one leaf dataset config, used by ``splits``, whose labels must
    be below ``num_classes`` or be ``ignore_index``."""
    report = SplitReport(
        splits,
        where(dataset_cfg),
        missing_layout(dataset_cfg),
        how_to_prepare(dataset_cfg), num_classes, ignore_index)
    if report.missing_layout:
        return report
    dataset = DATASETS.build(dict(dataset_cfg, pipeline=[], lazy_init=True))
    data_list = dataset.load_data_list()
    report.reduce_zero_label = bool(dataset.reduce_zero_label)
    steps = {
        str(step.get('type')).split('.')[-1]: step
        for step in dataset_cfg.get('pipeline') or [] if isinstance(step, dict)
    }
    pipeline = {  # the config's loading transforms, or mmseg's defaults
        name: TRANSFORMS.build(steps.get(name, dict(type=name)))
        for name in ('LoadImageFromFile', 'LoadAnnotations')
    }
    with ThreadPoolExecutor(workers) as pool:
        checked = pool.map(partial(_check_sample, pipeline=pipeline),
                           data_list)
        samples = list(track_iter_progress((checked, len(data_list))))
    for info, (problems, labels) in zip(data_list, samples):
        for name, path in problems.items():
            report.files[name].append(path)
        report.num_annotations += ('seg_map_path' in info and
                                   'missing_annotations' not in problems)
        report.label_files.update(labels)
        for value in labels_outside(labels, num_classes, ignore_index):
            report.bad_labels[value].append(info['seg_map_path'])
    report.num_images = len(data_list)
    report.files['orphan_annotations'] = (
        None if dataset.ann_file else _orphan_annotations(dataset, data_list))
    return report


def split_datasets(cfg: Config) -> List[Tuple[List[str], dict]]:
    """The leaf dataset configs of the config's dataloaders, each with the
    splits that use it (``test_dataloader = val_dataloader`` is one)."""
    found: List[Tuple[List[str], dict]] = []
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not loader.get('dataset'):
            continue
        for leaf in leaf_datasets(loader['dataset']):
            same = [splits for splits, seen in found if seen == leaf]
            if same:
                same[0].append(split)
            else:
                found.append(([split], leaf))
    return found


def check_config(cfg: Config, workers: int = 4) -> List[SplitReport]:
    """Check every dataset of ``cfg`` against its model's label range (the
    dataset's classes when the config has no model)."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    head = cfg.get('model', {}).get('decode_head')
    reports = []
    for splits, dataset_cfg in split_datasets(cfg):
        if not head:  # the dataset's classes, mmseg's ignore_index
            classes = DATASETS.get(dataset_cfg['type']).METAINFO['classes']
        classes, ignore = label_range(head or dict(num_classes=len(classes)))
        reports.append(
            check_split(splits, dataset_cfg, classes, ignore, workers))
    return reports


def verdict(reports: Sequence[SplitReport]) -> Tuple[bool, str]:
    """Whether every dataset is sound, and one line saying whether training
    can start (train and val datasets sound) and what stops it."""

    def problems(reports):
        return [f'{", ".join(r.splits)}: {"; ".join(r.problems())}'
                for r in reports if r.problems()]

    for_training = [r for r in reports if {'train', 'val'} & set(r.splits)]
    blocking = problems(for_training)
    testing = problems(r for r in reports if r not in for_training)
    if not any('train' in r.splits for r in reports):
        blocking.insert(0, 'the config has no train dataset')
    if blocking:
        return False, 'Training cannot start: ' + ' | '.join(blocking +
                                                           testing)
    line = 'Training can start: ' + ', '.join(
        f'{"/".join(r.splits)} {r.num_images} images' for r in reports) + '.'
    return not testing, line + (
        f' Testing cannot: {" | ".join(testing)}' if testing else '')
