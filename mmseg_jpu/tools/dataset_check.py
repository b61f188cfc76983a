# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Check the datasets of a config before a long run.

For the train, val and test datasets of a config (mmseg dataset classes,
inside mmengine's dataset wrappers too), :func:`check_config` reports
whether the layout exists where the config looks for it, the images and
annotations of each split, files without a partner, images whose
annotation has another size, annotations that are not single-channel, and
the label values found against the model's classes. It reads each image
and annotation once, with the decoders mmseg's pipeline uses (OpenCV for
images, Pillow for annotations).

:func:`check_layout` is the quick part (do the folders and split files
exist?); the plugin's loops run it before mmengine builds a dataset, so
that a dataset not prepared yet is named with how to prepare it.
"""
import os
import os.path as osp
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import mmcv
import numpy as np
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from PIL import Image

from mmseg.registry import DATASETS

SPLITS = ('train', 'val', 'test')
IGNORE_INDEX = 255
#: files named in a report before "and N more".
MAX_LISTED = 5
#: the section of docs/datasets.md for each mmseg dataset class.
DATASET_DOCS = {
    'PascalContextDataset59': 'pascal-context',
    'PascalContextDataset': 'pascal-context',
    'ADE20KDataset': 'ade20k',
    'CityscapesDataset': 'cityscapes',
}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's folders or split file are not where its config looks."""


def _listing(items: Sequence, limit: int = MAX_LISTED) -> str:
    items = [str(item) for item in items]
    more = f' and {len(items) - limit} more' if len(items) > limit else ''
    return ', '.join(items[:limit]) + more


def leaf_datasets(dataset_cfg) -> Iterator[dict]:
    """The dataset configs inside mmengine's wrappers (``ConcatDataset``'s
    ``datasets``, ``RepeatDataset``'s ``dataset``, ...)."""
    if 'datasets' in dataset_cfg:
        for inner in dataset_cfg['datasets']:
            yield from leaf_datasets(inner)
    elif 'dataset' in dataset_cfg:
        yield from leaf_datasets(dataset_cfg['dataset'])
    else:
        yield dataset_cfg


def _join(data_root: str, path: str) -> str:
    """``path`` under ``data_root`` unless absolute (mmengine's rule)."""
    if not data_root or not path or osp.isabs(path) or '://' in path:
        return path
    return osp.join(data_root, path)


def layout(dataset_cfg) -> List[Tuple[str, str, str]]:
    """``(field, path as configured, path resolved)`` of what the dataset
    needs: its ``data_root``, image and annotation folders and split file
    (``ann_file``), as mmengine's ``BaseDataset`` joins them."""
    data_root = dataset_cfg.get('data_root') or ''
    prefix = dataset_cfg.get('data_prefix') or {}
    needs = [('data_root', data_root)] if data_root else []
    needs += [(f'data_prefix.{key}', prefix[key])
              for key in ('img_path', 'seg_map_path') if prefix.get(key)]
    if dataset_cfg.get('ann_file'):
        needs.append(('ann_file', dataset_cfg['ann_file']))
    return [(name, path, path if name == 'data_root' else _join(
        data_root, path)) for name, path in needs]


def layout_problems(dataset_cfg) -> List[str]:
    """What of the layout is missing (paths on other storage backends,
    ``s3://`` ..., are not checked); a missing folder hides what it would
    hold."""
    problems = []
    for name, configured, path in layout(dataset_cfg):
        if '://' in path:
            continue
        exists = osp.isfile(path) if name == 'ann_file' else osp.isdir(path)
        if exists:
            continue
        if not any(path.startswith(missing) for missing in problems):
            problems.append(path)
    return problems


def where(dataset_cfg) -> str:
    """The dataset class and where it looks, for messages."""
    data_root = dataset_cfg.get('data_root') or ''
    absolute = f' ({osp.abspath(data_root)})' if data_root else ''
    return f"{dataset_cfg.get('type')} at data_root {data_root!r}{absolute}"


def how_to_prepare(dataset_cfg, config: Optional[str] = None) -> str:
    """How to prepare the dataset (and check it with ``config``)."""
    section = DATASET_DOCS.get(str(dataset_cfg.get('type')))
    docs = f'docs/datasets.md#{section}' if section else 'docs/datasets.md'
    check = (f', then check it with: python tools/check_dataset.py {config}'
             if config else '')
    return (f'Prepare it as {docs} of mmseg_jpu says (data/ must be in the '
            'folder you run from, or set data_root to where the dataset '
            f'is){check}')


def check_layout(split: str, dataset_cfg, config: str) -> None:
    """Raise :class:`DatasetNotFoundError` if a folder or split file of the
    ``split`` dataset of ``config`` is missing, naming it and how to
    prepare the data.

    Paths in configs are relative to the working directory, which the
    message gives."""
    for leaf in leaf_datasets(dataset_cfg):
        missing = layout_problems(leaf)
        if missing:
            raise DatasetNotFoundError(
                f'the {split} dataset is not prepared: {where(leaf)}: '
                f'missing {_listing(missing)} (relative paths start in the '
                f'working directory {os.getcwd()}). '
                f'{how_to_prepare(leaf, config)}.')


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
    reduce_zero_label: bool = False

    def _file_lists(self) -> List[Tuple[Optional[List[str]], str]]:
        """Each list of files with a problem, and what it is."""
        return [
            (self.missing_images, 'listed images that do not exist'),
            (self.missing_annotations, 'images without annotation'),
            (self.orphan_annotations, 'annotations without image'),
            (self.unreadable, 'unreadable files'),
            (self.size_mismatches,
             'annotations of another size than their image'),
            (self.multichannel, 'colour (multi-channel) annotations, not '
             'class indices'),
        ]

    def problems(self) -> List[str]:
        """What keeps a run on this dataset from working, one line each
        (annotations without image are reported, but do not)."""
        if self.missing_layout:
            return [f'missing {_listing(self.missing_layout)}']
        problems = [] if self.num_images else ['no images']
        problems += [
            f'{len(files)} {what}' for files, what in self._file_lists()
            if files and files is not self.orphan_annotations
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
            return [head, f'  missing: {_listing(self.missing_layout)}',
                    f'  {self.how_to_prepare}']
        lines = [
            head, f'  {self.num_images} images, {self.num_annotations} '
            'annotations'
        ]
        for files, what in self._file_lists():
            if files is None:
                lines.append(f'  {what}: not checked (the split file lists '
                             'the samples)')
            else:
                lines.append(f'  {what}: {len(files)}' +
                             (f' ({_listing(files)})' if files else ''))
        lines.append(f'  {self._labels_line()}')
        for value, files in sorted(self.bad_labels.items()):
            raw = (f' (raw {value + 1} in the files)'
                   if self.reduce_zero_label else '')
            lines.append(f'    label {value}{raw} in {len(files)} '
                         f'annotations: {_listing(files)}')
        return lines

    def _labels_line(self) -> str:
        after = ' after reduce_zero_label' if self.reduce_zero_label else ''
        values = ', '.join(f'{v} ({n})'
                           for v, n in sorted(self.label_files.items()))
        return (f'label values{after} (annotations holding each): '
                f'{values or "none"}; the model has {self.num_classes} '
                f'classes (0..{self.num_classes - 1}) and ignores '
                f'{IGNORE_INDEX}')


def _build(dataset_cfg):
    """The mmseg dataset object, without its pipeline and without loading
    its sample list."""
    cfg = dict(dataset_cfg, pipeline=[], lazy_init=True)
    return DATASETS.build(cfg)


def _labels(annotation: np.ndarray, dataset) -> Set[int]:
    """The label values of an annotation as mmseg's ``LoadAnnotations``
    makes them (``reduce_zero_label``, then ``label_map``)."""
    values = {int(v) for v in np.unique(annotation)}
    if dataset.reduce_zero_label:
        values = {IGNORE_INDEX if v in (0, IGNORE_INDEX) else v - 1
                  for v in values}
    label_map = getattr(dataset, 'label_map', None) or {}
    return {label_map.get(v, v) for v in values}


@dataclass
class _Sample:
    image: str
    annotation: Optional[str]
    problems: Dict[str, str] = field(default_factory=dict)
    labels: Set[int] = field(default_factory=set)


def _image_shape(path: str) -> Optional[Tuple[int, int]]:
    """Height and width of the image as mmseg's ``LoadImageFromFile`` reads
    it (OpenCV, EXIF orientation applied), or None if it cannot."""
    with open(path, 'rb') as file:
        image = mmcv.imfrombytes(file.read(), flag='color', backend='cv2')
    return None if image is None else image.shape[:2]


def _annotation(path: str) -> Optional[np.ndarray]:
    """The annotation as mmseg's ``LoadAnnotations`` reads it (Pillow, so
    that palette PNGs give their indices), or None if it cannot."""
    try:
        with Image.open(path) as file:
            return np.asarray(file)
    except (OSError, SyntaxError, ValueError):
        return None


def _check_sample(info: dict, dataset) -> _Sample:
    sample = _Sample(info['img_path'], info.get('seg_map_path'))
    image_shape = None
    if not osp.isfile(sample.image):
        sample.problems['missing_images'] = sample.image
    else:
        image_shape = _image_shape(sample.image)
        if image_shape is None:
            sample.problems['unreadable'] = sample.image
    if sample.annotation is None:
        return sample
    if not osp.isfile(sample.annotation):
        sample.problems['missing_annotations'] = sample.image
        return sample
    annotation = _annotation(sample.annotation)
    if annotation is None:
        sample.problems['unreadable'] = sample.annotation
        return sample
    if annotation.ndim == 3 and annotation.shape[2] > 1:
        sample.problems['multichannel'] = sample.annotation
        return sample
    annotation = annotation.reshape(annotation.shape[:2])
    sample.labels = _labels(annotation, dataset)
    if image_shape is not None and image_shape != annotation.shape:
        sample.problems['size_mismatches'] = (
            f'{sample.annotation} {annotation.shape[0]}x'
            f'{annotation.shape[1]} vs image {image_shape[0]}x'
            f'{image_shape[1]}')
    return sample


def _orphan_annotations(dataset, data_list: List[dict]) -> List[str]:
    """Annotations in the annotation folder whose image is not listed
    (for datasets that list their samples by scanning the image folder)."""
    folder = dataset.data_prefix.get('seg_map_path')
    if not folder or not osp.isdir(folder):
        return []
    listed = {info.get('seg_map_path') for info in data_list}
    found = []
    for root, _, names in os.walk(folder):
        found += [
            osp.join(root, name) for name in sorted(names)
            if name.endswith(dataset.seg_map_suffix)
        ]
    return sorted(path for path in found if path not in listed)


def check_split(splits: List[str], dataset_cfg, num_classes: int,
                workers: int = 4) -> SplitReport:
    """Check one leaf dataset config, used by ``splits`` (see the module's
    docstring)."""
    report = SplitReport(
        splits,
        where(dataset_cfg),
        missing_layout=layout_problems(dataset_cfg),
        how_to_prepare=how_to_prepare(dataset_cfg),
        num_classes=num_classes)
    if report.missing_layout:
        return report
    dataset = _build(dataset_cfg)
    data_list = dataset.load_data_list()
    report.reduce_zero_label = bool(dataset.reduce_zero_label)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        samples = list(
            pool.map(lambda info: _check_sample(info, dataset), data_list))
    report.num_images = len(samples)
    report.num_annotations = sum(
        s.annotation is not None and 'missing_annotations' not in s.problems
        for s in samples)
    if not dataset.ann_file:
        report.orphan_annotations = _orphan_annotations(dataset, data_list)
    label_files: Counter = Counter()
    bad: Dict[int, List[str]] = defaultdict(list)
    for sample in samples:
        for kind, text in sample.problems.items():
            getattr(report, kind).append(text)
        label_files.update(sample.labels)
        for value in sample.labels:
            if value >= num_classes and value != IGNORE_INDEX:
                bad[value].append(sample.annotation)
    report.label_files = dict(label_files)
    report.bad_labels = dict(bad)
    return report


def model_num_classes(cfg: Config) -> Optional[int]:
    """``num_classes`` of the config's decode head (the last one of a
    cascade), or None."""
    head = cfg.get('model', {}).get('decode_head')
    if isinstance(head, (list, tuple)):
        head = head[-1]
    return head.get('num_classes') if head else None


def split_datasets(cfg: Config) -> List[Tuple[List[str], ConfigDict]]:
    """The leaf dataset configs of the config's dataloaders, each with the
    splits that use it (``test_dataloader = val_dataloader`` is one)."""
    found: List[Tuple[List[str], ConfigDict]] = []
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
    """Check every dataset of ``cfg``."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    reports = []
    for splits, dataset_cfg in split_datasets(cfg):
        classes = model_num_classes(cfg)
        if classes is None:
            classes = len(DATASETS.get(dataset_cfg['type']).METAINFO[
                'classes'])
        reports.append(check_split(splits, dataset_cfg, classes, workers))
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
