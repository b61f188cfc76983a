# Copyright (c) mmseg_jpu contributors. All rights reserved.
import os

from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop,
                             ValLoop)

from mmseg.registry import LOOPS
from ...datasets.dataset_check import check_layout, leaf_datasets
from ...utils.listing import listing
from ..rank_errors import raise_on_every_rank


class _ChecksDataFirst:
    """Check the dataset's folders and split file (``check_layout``) before
    the loop builds it, then its files."""

    split = ''

    def __init__(self, runner, dataloader, *args, **kwargs) -> None:
        if isinstance(dataloader, dict) and dataloader.get('dataset'):
            check_layout(self.split, dataloader['dataset'], runner.cfg.filename
                         or 'CONFIG')
        super().__init__(runner, dataloader, *args, **kwargs)

        def check():  # on rank 0; raised on every rank
            for leaf in leaf_datasets(self.dataloader.dataset):
                _check_files(leaf)

        raise_on_every_rank(check if runner.rank == 0 else lambda: None,
                            runner.logger)


def _check_files(dataset) -> None:
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


def _checked(loop: type, split: str) -> type:
    """Register ``DataChecked<loop>``, ``loop`` that first checks its data."""
    doc = f'``{loop.__name__}`` that first checks its dataset.'
    checked = type(f'DataChecked{loop.__name__}', (_ChecksDataFirst, loop),
                   dict(split=split, __doc__=doc))
    return LOOPS.register_module(module=checked)


DataCheckedIterBasedTrainLoop = _checked(IterBasedTrainLoop, 'train')
DataCheckedEpochBasedTrainLoop = _checked(EpochBasedTrainLoop, 'train')
DataCheckedValLoop = _checked(ValLoop, 'val')
DataCheckedTestLoop = _checked(TestLoop, 'test')
