# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmengine's loops that first check that their dataset is prepared.

mmengine builds a loop's dataloader, and with it the dataset, in the loop's
constructor, before any hook runs: a dataset that is not prepared yet
stops ``mim train`` with mmseg's ``Failed to load `ann_file` ...`` (or an
``AssertionError`` on the image folder), which says nothing of how to get
the data. These loops check the dataset's folders and split file first
(:func:`mmseg_jpu.datasets.dataset_check.check_layout`) and raise a
``DatasetNotFoundError`` that names what is missing, the working directory
that relative paths start from, and how to prepare the dataset. Otherwise
they are mmengine's ``IterBasedTrainLoop`` (or ``EpochBasedTrainLoop``),
``ValLoop`` and ``TestLoop``.

The plugin's schedules use them; in your own config::

    train_cfg = dict(type='DataCheckedIterBasedTrainLoop', ...)
    # or dict(type='DataCheckedEpochBasedTrainLoop', max_epochs=...)
    val_cfg = dict(type='DataCheckedValLoop')
    test_cfg = dict(type='DataCheckedTestLoop')
"""
from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop,
                             ValLoop)

from mmseg.registry import LOOPS
from ...datasets.dataset_check import check_layout


class _ChecksDataFirst:
    """Check the dataloader's dataset before the loop builds it."""

    split = ''

    def __init__(self, runner, dataloader, *args, **kwargs) -> None:
        if isinstance(dataloader, dict) and dataloader.get('dataset'):
            check_layout(self.split, dataloader['dataset'],
                         runner.cfg.filename or 'CONFIG')
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
