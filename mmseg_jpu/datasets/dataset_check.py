# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Check the datasets of a config before a long run.

:func:`check_layout` is the quick part (do the folders and split file
exist?); the plugin's loops run it before mmengine builds a dataset, so
that a dataset not prepared yet is named with how to prepare it.

:func:`check_config` checks every image and annotation of the config's
train, val and test datasets (mmseg dataset classes, inside mmengine's
dataset wrappers too), loading each with the config's own
``LoadImageFromFile`` and ``LoadAnnotations`` (so ``reduce_zero_label`` and
``label_map`` apply as in training) and comparing sizes with
``CheckSegMapShape``; the label values found are compared with the range
the model accepts (:func:`label_range`), the rule
:class:`~mmseg_jpu.engine.SegDataCheckHook` applies to each batch.
"""
import os
import os.path as osp
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from inspect import signature
from typing import (Dict, Iterable, Iterator, List, Optional, Sequence, Set,
                    Tuple)

import numpy as np
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import scandir, track_iter_progress

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import DATASETS, TRANSFORMS
from .transforms import CheckSegMapShape

SPLITS = ('train', 'val', 'test')
#: items named in a message before "and N more".
MAX_LISTED = 5
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


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's folders or split file are not where its config looks."""


def listing(items: Sequence, limit: int = MAX_LISTED) -> str:
    """The first ``limit`` items, then "and N more"."""
    items = [str(item) for item in items]
    more = f' and {len(items) - limit} more' if len(items) > limit else ''
    return ', '.join(items[:limit]) + more


def leaf_datasets(dataset) -> Iterator:
    """The datasets (or dataset configs) inside mmengine's wrappers
    (``ConcatDataset``'s ``datasets``, ``RepeatDataset``'s ``dataset``...),
    or ``dataset`` itself."""
    if isinstance(dataset, dict):
        datasets, inner = dataset.get('datasets'), dataset.get('dataset')
    else:
        datasets = getattr(dataset, 'datasets', None)
        inner = getattr(dataset, 'dataset', None)
    if datasets is not None:
        for leaf in datasets:
            yield from leaf_datasets(leaf)
    elif inner is not None:
        yield from leaf_datasets(inner)
    else:
        yield dataset


def label_range(decode_head) -> Tuple[int, int]:
    """``(num_classes, ignore_index)`` of the head that makes the
    prediction: ``decode_head`` itself, or the last head of a cascade (a
    list in a config, an ``nn.ModuleList`` in a model), built or as
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
    """The ``data_root``, image and annotation folders and split file
    (``ann_file``) of a dataset config that do not exist, joined as
    mmengine's ``BaseDataset`` joins them (paths on other storage backends,
    ``s3://`` ..., are not checked); a missing folder hides what it would
    hold."""
    data_root = dataset_cfg.get('data_root') or ''
    prefix = dataset_cfg.get('data_prefix') or {}
    needs = [(prefix.get(key), osp.isdir)
             for key in ('img_path', 'seg_map_path')]
    needs.append((dataset_cfg.get('ann_file'), osp.isfile))
    needs = [(osp.join(data_root, path), exists) for path, exists in needs
             if path and '://' not in path]
    if data_root and '://' not in data_root:
        needs.insert(0, (data_root, osp.isdir))
    missing: List[str] = []
    for path, exists in needs:
        if not exists(path) and not any(map(path.startswith, missing)):
            missing.append(path)
    return missing


def where(dataset_cfg) -> str:
    """The dataset class and where it looks, for messages."""
    data_root = dataset_cfg.get('data_root') or ''
    absolute = f' ({osp.abspath(data_root)})' if data_root else ''
    return f"{dataset_cfg.get('type')} at data_root {data_root!r}{absolute}"


def how_to_prepare(dataset_cfg, config: Optional[str] = None) -> str:
    """How to prepare the dataset (and check it with ``config``)."""
    section = DATASET_DOCS.get(str(dataset_cfg.get('type')))
    docs = f'docs/datasets.md#{section}' if section else 'docs/datasets.md'
    check = (', then check it with: .venv/bin/python tools/check_dataset.py '
             f'{config}' if config else '')
    return (f'Prepare it as {docs} of mmseg_jpu says (data/ must be in the '
            'folder you run from, or set data_root to where the dataset '
            f'is){check}')


def check_layout(split: str, dataset_cfg, config: str) -> None:
    """Raise :class:`DatasetNotFoundError` if a folder or split file of the
    ``split`` dataset of ``config`` is missing, naming it, the working
    directory relative paths start in, and how to prepare the data."""
    for leaf in leaf_datasets(dataset_cfg):
        missing = missing_layout(leaf)
        if missing:
            raise DatasetNotFoundError(
                f'the {split} dataset is not prepared: {where(leaf)}: '
                f'missing {listing(missing)} (relative paths start in the '
                f'working directory {os.getcwd()}). '
                f'{how_to_prepare(leaf, config)}.')


#: the lists of files with a problem in a :class:`SplitReport`, as reported.
FILE_PROBLEMS = {
    'missing_images': 'listed images that do not exist',
    'missing_annotations': 'images without annotation',
    'orphan_annotations': 'annotations without image',
    'unreadable': 'unreadable files',
    'size_mismatches': 'annotations of another size than their image',
    'multichannel': 'colour (multi-channel) annotations, not class indices',
}


@dataclass
class SplitReport:
    """What :func:`check_split` found in one dataset, which ``splits`` use
    (e.g. ``['val', 'test']``)."""
    splits: List[str]
    where: str
    missing_layout: List[str] = field(default_factory=list)
    how_to_prepare: str = ''
    num_images: int = 0
    num_annotations: int = 0
    missing_images: List[str] = field(default_factory=list)
    missing_annotations: List[str] = field(default_factory=list)
    orphan_annotations: Optional[List[str]] = None  # None: not checked
    unreadable: List[str] = field(default_factory=list)
    size_mismatches: List[str] = field(default_factory=list)
    multichannel: List[str] = field(default_factory=list)
    label_files: Dict[int, int] = field(default_factory=dict)
    bad_labels: Dict[int, List[str]] = field(default_factory=dict)
    num_classes: int = 0
    ignore_index: int = 0
    reduce_zero_label: bool = False

    def problems(self) -> List[str]:
        """What keeps a run on this dataset from working, one line each
        (annotations without image are reported, but do not)."""
        if self.missing_layout:
            return [f'missing {listing(self.missing_layout)}']
        problems = [] if self.num_images else ['no images']
        problems += [
            f'{len(getattr(self, name))} {what}'
            for name, what in FILE_PROBLEMS.items()
            if name != 'orphan_annotations' and getattr(self, name)
        ]
        if self.bad_labels:
            problems.append('label values outside the '
                            f'{self.num_classes} classes: '
                            f'{sorted(self.bad_labels)}')
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
            files = getattr(self, name)
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


def _loading(pipeline) -> tuple:
    """The pipeline's ``LoadImageFromFile`` and ``LoadAnnotations`` (with
    their defaults where it has none), built from its settings."""
    found = {
        str(step.get('type')).split('.')[-1]: step
        for step in pipeline or [] if isinstance(step, dict)
    }
    return tuple(
        TRANSFORMS.build(found.get(name, dict(type=name)))
        for name in ('LoadImageFromFile', 'LoadAnnotations'))


def _check_sample(info: dict, loading) -> Tuple[Dict[str, str], Set[int]]:
    """``({problem: file}, label values)`` of one sample, loaded as the
    pipeline loads it."""
    load_image, load_annotation = loading
    image, annotation = info['img_path'], info.get('seg_map_path')
    results, problems = dict(info, seg_fields=[]), {}
    if not osp.isfile(image):
        problems['missing_images'] = image
    else:
        try:
            results = load_image(results)
        except UNREADABLE:
            problems['unreadable'] = image
    if annotation is None:
        return problems, set()
    if not osp.isfile(annotation):
        return dict(problems, missing_annotations=image), set()
    try:
        labels = load_annotation(results)['gt_seg_map']
    except UNREADABLE:
        return dict(problems, unreadable=annotation), set()
    if labels.ndim == 3:
        return dict(problems, multichannel=annotation), set()
    if 'ori_shape' in results:
        try:
            CheckSegMapShape()(results)
        except ValueError:
            (height, width), (img_height, img_width) = (labels.shape,
                                                        results['ori_shape'])
            problems['size_mismatches'] = (
                f'{annotation} {height}x{width} vs image '
                f'{img_height}x{img_width}')
    return problems, set(np.unique(labels).tolist())


def _orphan_annotations(dataset, data_list: List[dict]) -> List[str]:
    """Annotations in the annotation folder whose image is not listed
    (for datasets that list their samples by scanning the image folder)."""
    folder = dataset.data_prefix.get('seg_map_path')
    if not folder or not osp.isdir(folder):
        return []
    listed = {info.get('seg_map_path') for info in data_list}
    found = {
        osp.join(folder, path)
        for path in scandir(folder, dataset.seg_map_suffix, recursive=True)
    }
    return sorted(found - listed)


def check_split(splits: List[str],
                dataset_cfg,
                num_classes: int,
                ignore_index: int = DEFAULT_IGNORE_INDEX,
                workers: int = 4) -> SplitReport:
    """Check one leaf dataset config, used by ``splits`` (see the module's
    docstring); the label values must be below ``num_classes`` or be
    ``ignore_index``."""
    report = SplitReport(
        splits,
        where(dataset_cfg),
        missing_layout=missing_layout(dataset_cfg),
        how_to_prepare=how_to_prepare(dataset_cfg),
        num_classes=num_classes,
        ignore_index=ignore_index)
    if report.missing_layout:
        return report
    dataset = DATASETS.build(dict(dataset_cfg, pipeline=[], lazy_init=True))
    data_list = dataset.load_data_list()
    report.reduce_zero_label = bool(dataset.reduce_zero_label)
    loading = _loading(dataset_cfg.get('pipeline'))
    with ThreadPoolExecutor(workers) as pool:
        checked = pool.map(partial(_check_sample, loading=loading), data_list)
        samples = list(track_iter_progress((checked, len(data_list))))
    label_files: Counter = Counter()
    bad: Dict[int, List[str]] = defaultdict(list)
    for info, (problems, labels) in zip(data_list, samples):
        for name, path in problems.items():
            getattr(report, name).append(path)
        label_files.update(labels)
        for value in labels_outside(labels, num_classes, ignore_index):
            bad[value].append(info['seg_map_path'])
    report.num_images = len(data_list)
    report.num_annotations = sum(
        'seg_map_path' in info and 'missing_annotations' not in problems
        for info, (problems, _) in zip(data_list, samples))
    if not dataset.ann_file:
        report.orphan_annotations = _orphan_annotations(dataset, data_list)
    report.label_files = dict(label_files)
    report.bad_labels = dict(bad)
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
        if head:
            classes, ignore = label_range(head)
        else:
            classes = len(DATASETS.get(dataset_cfg['type']).METAINFO['classes'])
            ignore = DEFAULT_IGNORE_INDEX
        reports.append(
            check_split(splits, dataset_cfg, classes, ignore, workers))
    return reports


def verdict(reports: Sequence[SplitReport]) -> Tuple[bool, str]:
    """Whether every dataset is sound, and one line saying whether
    training can start (train and val datasets sound) and what stops it."""

    def problems(reports):
        return [
            f'{", ".join(r.splits)}: {"; ".join(r.problems())}'
            for r in reports if r.problems()
        ]

    for_training = [r for r in reports if {'train', 'val'} & set(r.splits)]
    blocking = problems(for_training)
    testing = problems(r for r in reports if r not in for_training)
    if not any('train' in r.splits for r in reports):
        blocking.insert(0, 'the config has no train dataset')
    if blocking:
        line = f'Training cannot start: {" | ".join(blocking + testing)}'
    else:
        line = 'Training can start: ' + ', '.join(
            f'{"/".join(r.splits)} {r.num_images} images'
            for r in reports) + '.'
        if testing:
            line += f' Testing cannot: {" | ".join(testing)}'
    return not (blocking or testing), line
