# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Check the datasets of a config: :func:`check_layout` before a run (the
plugin's loops), :func:`check_config` for ``tools/check_dataset.py``."""
import os
import os.path as osp
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Dict, Iterable, Iterator, List, Tuple

import numpy as np
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import scandir, track_iter_progress

from mmseg.registry import DATASETS, TRANSFORMS
from ..utils.listing import listing
from .transforms import CheckSegMapShape

SPLITS = ('train', 'val', 'test')
#: the sections of docs/datasets.md, found by the dataset class's name.
DOC_SECTIONS = ('pascal-context', 'ade20k', 'cityscapes')


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's folders or split file are not where its config looks."""


def leaf_datasets(dataset) -> Iterator:
    """The datasets (or their configs) inside mmengine's dataset wrappers,
    or ``dataset`` itself."""
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
    """``(num_classes, ignore_index)`` of the predicting head (the last of a
    cascade), built or as configured."""
    if isinstance(decode_head, (list, tuple, nn.ModuleList)):
        decode_head = decode_head[-1]
    if isinstance(decode_head, dict):
        return (decode_head['num_classes'],
                decode_head.get('ignore_index', 255))  # BaseDecodeHead's
    return decode_head.num_classes, decode_head.ignore_index


def labels_outside(values: Iterable[int], num_classes: int,
                   ignore_index: int) -> List[int]:
    """The label values that are neither a class nor ``ignore_index``."""
    return sorted(v for v in values if v >= num_classes and v != ignore_index)


def missing_layout(dataset_cfg) -> List[str]:
    """The ``data_root``, data folders and split file of a dataset config
    that do not exist (not those inside a missing folder, nor URLs)."""
    root = dataset_cfg.get('data_root') or ''
    prefix = dataset_cfg.get('data_prefix') or {}
    paths = [root] + [
        osp.join(root, prefix[key])
        for key in ('img_path', 'seg_map_path') if prefix.get(key)
    ]
    if dataset_cfg.get('ann_file'):
        paths.append(osp.join(root, dataset_cfg['ann_file']))
    missing: List[str] = []
    for path in filter(None, paths):
        if not ('://' in path or osp.exists(path)
                or any(map(path.startswith, missing))):
            missing.append(path)
    return missing


def check_layout(split: str, dataset_cfg, config: str = '') -> None:
    """Raise :class:`DatasetNotFoundError` naming what of the ``split``
    dataset of ``config`` is missing and how to prepare it."""
    for leaf in leaf_datasets(dataset_cfg):
        missing = missing_layout(leaf)
        if not missing:
            continue
        name, root = str(leaf.get('type')), leaf.get('data_root') or ''
        section = next((f'#{section}' for section in DOC_SECTIONS
                        if section.replace('-', '') in name.lower()), '')
        check = (', then check it with: .venv/bin/python '
                 f'tools/check_dataset.py {config}' if config else '')
        raise DatasetNotFoundError(
            f'the {split} dataset is not prepared: {name} at data_root '
            f'{root!r} ({osp.abspath(root)}): missing '
            f'{listing(missing)} (relative paths start in the working '
            f'directory {os.getcwd()}). Prepare it as docs/datasets.md'
            f'{section} of mmseg_jpu says (data/ must be in the folder you '
            f'run from, or set data_root to where the dataset is){check}.')


@dataclass
class SplitReport:
    """The report ``lines`` on the dataset that ``splits`` use and the
    ``problems`` that stop a run on it."""
    splits: List[str]
    lines: List[str]
    problems: List[str]
    num_images: int = 0


def _check_sample(info: dict, load: list, num_classes: int,
                  ignore_index: int) -> List[Tuple[str, str]]:
    """The ``(problem, file)`` pairs of one sample."""
    results, problems = dict(info, seg_fields=[]), []
    for transform, path in zip(load,
                               (info['img_path'], info.get('seg_map_path'))):
        try:
            results = transform(results) if path else results
        except FileNotFoundError:
            problems.append(('missing files', path))
        except (AssertionError, OSError, SyntaxError, ValueError):
            problems.append(('unreadable files', path))  # mmcv's decoders
    if problems or 'gt_seg_map' not in results:
        return problems
    try:
        CheckSegMapShape()(results)
    except ValueError:
        shape, image = results['gt_seg_map'].shape, results['ori_shape']
        return [("annotations not a label map of their image's size",
                 f'{path} {shape} vs image {image}')]
    bad = labels_outside(
        np.unique(results['gt_seg_map']).tolist(), num_classes, ignore_index)
    outside = f'annotations with labels outside the {num_classes} classes'
    return [(outside, f'{path} {bad}')] if bad else []


def _orphan_annotations(dataset, data_list: List[dict]) -> List[str]:
    """Annotations in the annotation folder whose image is not listed."""
    folder = dataset.data_prefix.get('seg_map_path')
    if dataset.ann_file or not folder or not osp.isdir(folder):
        return []
    found = {
        osp.join(folder, path)
        for path in scandir(folder, dataset.seg_map_suffix, recursive=True)
    }
    return sorted(found - {info.get('seg_map_path') for info in data_list})


def _check_split(splits: List[str], dataset_cfg, num_classes: int,
                 ignore_index: int, workers: int) -> SplitReport:
    """Load each sample of a leaf dataset with its config's loading steps."""
    try:
        check_layout(', '.join(splits), dataset_cfg)
    except DatasetNotFoundError as error:
        return SplitReport(splits, [str(error)], ['not prepared'])
    dataset = DATASETS.build(dict(dataset_cfg, pipeline=[], lazy_init=True))
    data_list = dataset.load_data_list()
    steps = dataset_cfg.get('pipeline') or []
    load = [  # the config's loading transforms, or mmseg's defaults
        TRANSFORMS.build(
            next((step for step in steps if str(step['type']).endswith(name)),
                 dict(type=name)))
        for name in ('LoadImageFromFile', 'LoadAnnotations')
    ]
    check = partial(_check_sample,
                    load=load,
                    num_classes=num_classes,
                    ignore_index=ignore_index)
    with ThreadPoolExecutor(workers) as pool:
        checked = pool.map(check, data_list)
        samples = list(track_iter_progress((checked, len(data_list))))
    files = defaultdict(list)
    for problem, path in chain.from_iterable(samples):
        files[problem].append(path)
    problems = [f'{len(paths)} {problem}' for problem, paths in files.items()]
    files['annotations without image'] = _orphan_annotations(
        dataset, data_list)
    annotations = sum(
        osp.isfile(info.get('seg_map_path') or '') for info in data_list)
    lines = [
        f'{", ".join(splits)}: {type(dataset).__name__} at '
        f'{osp.abspath(dataset.data_root or "")}',
        f'  {len(data_list)} images, {annotations} annotations'
    ] + [
        f'  {problem}: {len(paths)} ({listing(paths)})'
        for problem, paths in files.items() if paths
    ]
    return SplitReport(splits, lines, problems if data_list else ['no images'],
                       len(data_list))


def check_config(cfg: Config, workers: int = 4) -> List[SplitReport]:
    """Check each dataset of the config's dataloaders once, against its
    model's label range (the dataset's classes if the config has none)."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    found: Dict[str, Tuple[List[str], dict]] = {}
    for split in SPLITS:
        dataset = (cfg.get(f'{split}_dataloader') or {}).get('dataset')
        for leaf in leaf_datasets(dataset) if dataset else []:
            found.setdefault(repr(leaf), ([], leaf))[0].append(split)
    head = cfg.get('model', {}).get('decode_head')
    return [
        _check_split(
            splits, leaf,
            *label_range(head or dict(num_classes=len(
                DATASETS.get(leaf['type']).METAINFO['classes']))), workers)
        for splits, leaf in found.values()
    ]


def verdict(reports: List[SplitReport]) -> Tuple[bool, str]:
    """Whether every dataset is sound, and one line saying whether training
    can start (train and val datasets sound) and what stops it."""
    problems = [
        f'{", ".join(r.splits)}: {"; ".join(r.problems)}' for r in reports
        if r.problems
    ]
    blocked = any(r.problems for r in reports
                  if {'train', 'val'} & {*r.splits})
    if not any('train' in r.splits for r in reports):
        blocked = True
        problems.insert(0, 'the config has no train dataset')
    if blocked:
        return False, 'Training cannot start: ' + ' | '.join(problems)
    line = 'Training can start: ' + ', '.join(
        f'{"/".join(r.splits)} {r.num_images} images' for r in reports) + '.'
    return not problems, line + (f' Testing cannot: {" | ".join(problems)}'
                                 if problems else '')
