# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The bundled tiny samples: real layouts, odd sizes, ignored pixels, and
the generator reproduces them."""
import cv2
import numpy as np
import pytest

from mmseg.datasets import (ADE20KDataset, CityscapesDataset,
                            PascalContextDataset59)
from make_tiny_datasets import make_tiny_dataset
from .conftest import REPO_ROOT

TINY = REPO_ROOT / 'data' / 'tiny'
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def _pascal_context(data_root, split):
    return PascalContextDataset59(
        data_root=str(data_root),
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassContext'),
        ann_file=f'ImageSets/SegmentationContext/{split}.txt',
        pipeline=PIPELINE)


def _ade20k(data_root, split):
    folder = {'train': 'training', 'val': 'validation'}[split]
    return ADE20KDataset(
        data_root=str(data_root),
        data_prefix=dict(
            img_path=f'images/{folder}', seg_map_path=f'annotations/{folder}'),
        pipeline=PIPELINE)


def _cityscapes(data_root, split):
    return CityscapesDataset(
        data_root=str(data_root),
        data_prefix=dict(
            img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}'),
        pipeline=PIPELINE)


#: data_root -> the dataset's builder
DATASETS = {
    'VOCdevkit/VOC2010': _pascal_context,
    'ADEChallengeData2016': _ade20k,
    'cityscapes': _cityscapes,
}


@pytest.mark.parametrize('name', DATASETS)
@pytest.mark.parametrize('split, size', [('train', 8), ('val', 4)])
def test_mmseg_reads_the_bundled_sample(name, split, size):
    dataset = DATASETS[name](TINY / name, split)
    assert len(dataset) == size
    shapes = set()
    for i in range(size):
        sample = dataset[i]
        label = sample['gt_seg_map']
        assert sample['img'].shape[:2] == label.shape
        assert (label == 255).any()  # ignored (raw 0 reduced, or train id)
        valid = label[label != 255]
        assert valid.max() < len(dataset.metainfo['classes'])
        shapes.add(label.shape)
    assert len(shapes) > 1 and any(h % 2 or w % 2 for h, w in shapes)


@pytest.mark.parametrize('name', DATASETS)
def test_generator_reproduces_the_bundled_sample(name, tmp_path):
    build, made_root = DATASETS[name], make_tiny_dataset(tmp_path, name)
    for split in ('train', 'val'):
        bundled, made = build(TINY / name, split), build(made_root, split)
        assert len(bundled) == len(made)
        for i in range(len(bundled)):
            np.testing.assert_array_equal(made[i]['gt_seg_map'],
                                          bundled[i]['gt_seg_map'])
            image = cv2.imread(made[i]['img_path'])
            assert image.shape == bundled[i]['img'].shape
