# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop,
                             ValLoop)

from mmseg.registry import LOOPS
from ...datasets.dataset_check import check_layout


class _ChecksDataFirst:
    """Raise ``DatasetNotFoundError`` (naming what is missing and how to
    prepare it) before the loop builds a dataset whose folders or split file
    do not exist (:func:`~mmseg_jpu.datasets.dataset_check.check_layout`)."""

    split = ''

    def __init__(self, runner, dataloader, *args, **kwargs) -> None:
        if isinstance(dataloader, dict) and dataloader.get('dataset'):
            check_layout(self.split, dataloader['dataset'], runner.cfg.filename
                         or 'CONFIG')
        super().__init__(runner, dataloader, *args, **kwargs)


@LOOPS.register_module()
class DataCheckedIterBasedTrainLoop(_ChecksDataFirst, IterBasedTrainLoop):
    """``IterBasedTrainLoop`` that first checks its dataset's layout."""

    split = 'train'


@LOOPS.register_module()
class DataCheckedEpochBasedTrainLoop(_ChecksDataFirst, EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that first checks its dataset's layout."""

    split = 'train'


@LOOPS.register_module()
class DataCheckedValLoop(_ChecksDataFirst, ValLoop):
    """``ValLoop`` that first checks its dataset's layout."""

    split = 'val'


@LOOPS.register_module()
class DataCheckedTestLoop(_ChecksDataFirst, TestLoop):
    """``TestLoop`` that first checks its dataset's layout."""

    split = 'test'
