# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Broken data in data/tiny_broken stops a run with an error that names the
file: missing annotation, truncated image, annotation of another size,
labels above the class count; an empty split is refused by mmengine."""
import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.datasets import PascalContextDataset59
from make_tiny_datasets import (
    BROKEN_CASES, OUT_OF_RANGE_RAW_LABEL, make_tiny_broken_pascal_context)
from .conftest import REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config

TINY = REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010'
BROKEN = REPO_ROOT / 'data' / 'tiny_broken' / 'VOCdevkit' / 'VOC2010'


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob('*') if p.is_file())


def _dataset(split, data_root=BROKEN, pipeline=None):
    return PascalContextDataset59(
        data_root=str(data_root),
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassContext'),
        ann_file=f'ImageSets/SegmentationContext/{split}.txt',
        pipeline=pipeline or [])


def _runner(tmp_path, train_split, test_split='label_out_of_range'):
    """A tiny run whose train split and val/test split are broken ones."""
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, tmp_path, 2)
    cfg.train_dataloader.batch_size = 1
    for loader, split in ((cfg.train_dataloader, train_split),
                          (cfg.val_dataloader, test_split)):
        loader.dataset.data_root = str(BROKEN)
        loader.dataset.ann_file = f'ImageSets/SegmentationContext/{split}.txt'
    cfg.test_dataloader = cfg.val_dataloader
    return Runner.from_cfg(cfg)


def test_generator_reproduces_the_bundled_cases(tmp_path):
    made = make_tiny_broken_pascal_context(tmp_path, TINY)
    assert _files(made) == _files(BROKEN)
    for path in _files(BROKEN):
        if path.suffix == '.png':
            np.testing.assert_array_equal(
                cv2.imread(str(made / path), cv2.IMREAD_UNCHANGED),
                cv2.imread(str(BROKEN / path), cv2.IMREAD_UNCHANGED))
        else:
            assert (made / path).read_bytes() == (BROKEN / path).read_bytes()
    assert set(BROKEN_CASES) | {'empty'} == {
        p.stem
        for p in (BROKEN / 'ImageSets' / 'SegmentationContext').iterdir()
    }


def test_missing_annotation_stops_the_run_before_training(tmp_path):
    runner = _runner(tmp_path, 'missing_annotation')
    with pytest.raises(FileNotFoundError) as error:
        runner.train()
    message = str(error.value)
    assert '1 of the 2 files listed by PascalContextDataset59' in message
    assert str(BROKEN / 'SegmentationClassContext' /
               'missing_annotation.png') + ' (missing)' in message
    assert 'missing_annotation.txt' in message
    assert not list(tmp_path.glob('*.pth'))  # no iteration ran


def test_truncated_image_is_named_by_mmcv():
    dataset = _dataset(
        'truncated_image', pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(AssertionError) as error:
        dataset[0]
    assert str(error.value) == ('failed to load image: ' + str(
        BROKEN / 'JPEGImages' / 'truncated_image.jpg'))


@pytest.mark.parametrize('pipeline', ['train', 'test'])
def test_annotation_of_another_size_names_both_files(pipeline):
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    steps = (
        cfg.train_dataloader if pipeline == 'train' else
        cfg.test_dataloader).dataset.pipeline
    assert dict(type='CheckSegMapShape') in steps
    dataset = _dataset('size_mismatch', pipeline=steps)
    with pytest.raises(ValueError) as error:
        dataset[0]
    image = cv2.imread(str(BROKEN / 'JPEGImages' / 'size_mismatch.jpg'))
    height, width = image.shape[:2]
    assert str(error.value).startswith(
        f"annotation {BROKEN / 'SegmentationClassContext'}/size_mismatch.png"
        f' has shape ({height // 2}, {width // 2}) but its image '
        f"{BROKEN / 'JPEGImages'}/size_mismatch.jpg is {height}x{width}")


def test_check_passes_every_bundled_tiny_sample():
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    for split in ('train', 'val'):
        dataset = _dataset(
            split, TINY, pipeline=cfg.test_dataloader.dataset.pipeline)
        for i in range(len(dataset)):
            sample = dataset[i]['data_samples']
            assert sample.gt_sem_seg.shape == sample.ori_shape


@pytest.mark.parametrize('mode', ['train', 'test'])
def test_labels_above_the_class_count_are_rejected(mode, tmp_path):
    runner = _runner(tmp_path, 'label_out_of_range')
    with pytest.raises(ValueError) as error:
        getattr(runner, mode)()
    message = str(error.value)
    reduced = OUT_OF_RANGE_RAW_LABEL - 1  # reduce_zero_label
    assert message.startswith(
        f"annotation {BROKEN / 'SegmentationClassContext'}"
        f"/label_out_of_range.png of image {BROKEN / 'JPEGImages'}"
        f'/label_out_of_range.jpg has labels [{reduced}] (raw values '
        f'[{OUT_OF_RANGE_RAW_LABEL}] in the file')
    # the file also holds raw 255 (and raw 0): the ignore index stays allowed
    assert ('the model has 59 classes (labels 0..58) and ignores label 255'
            in message)
    assert runner.iter == 0


def test_empty_split_is_refused_while_building_the_dataset():
    # mmengine's BaseDataset cannot serialize an empty data list; this
    # happens in the dataset's constructor, before any hook of the plugin
    # runs (see the README).
    with pytest.raises(ValueError,
                       match='need at least one array to concatenate'):
        _dataset('empty')
