# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Developer tool: regenerate the tiny, learnable Pascal Context, ADE20K and
Cityscapes samples in ``data/tiny`` and the broken Pascal Context cases made
from them in ``data/tiny_broken``.

Synthetic scenes (sky over grass or road, a wall, people, cars), one colour
per class, odd and differing sizes, and ignored pixels in every annotation:
raw label 0 (which ``reduce_zero_label`` ignores), or train id 255.
"""
from pathlib import Path

import cv2
import mmcv
import numpy as np
from mmengine.fileio import put, put_text
from mmseg.datasets import (ADE20KDataset, CityscapesDataset,
                            PascalContextDataset59)

REPO_ROOT = Path(__file__).resolve().parents[2]
#: class name -> BGR colour of its pixels; ignored pixels are black.
CLASS_COLORS = {
    'sky': (235, 190, 120),
    'grass': (40, 170, 50),
    'road': (110, 110, 110),
    'wall': (60, 120, 200),
    'person': (40, 40, 220),
    'car': (30, 220, 240),
}
NAMES = list(CLASS_COLORS)
SPLIT_SIZES = {'train': 8, 'val': 4}
CITIES = {'train': ('aachen', 'bremen'), 'val': ('frankfurt', 'lindau')}
#: broken case (a split file of its own) -> the Pascal Context sample it is
#: made from: half of the JPEG's bytes, a halved annotation, and raw labels
#: OUT_OF_RANGE_RAW_LABEL (59 once reduced: one above the classes) and 255.
BROKEN_CASES = {
    'missing_annotation': 'tiny_val_000',
    'truncated_image': 'tiny_val_001',
    'size_mismatch': 'tiny_val_002',
    'label_out_of_range': 'tiny_val_003',
}
OUT_OF_RANGE_RAW_LABEL = 60


def _scene(rng: np.random.Generator) -> np.ndarray:
    """An (H, W) map of indices into :data:`NAMES`, -1 where ignored."""
    height, width = int(rng.integers(41, 80)), int(rng.integers(47, 96))
    scene = np.full((height, width), NAMES.index('sky'), np.int64)
    horizon = int(rng.integers(height // 3, 2 * height // 3))
    scene[horizon:] = NAMES.index('grass' if rng.random() < 0.5 else 'road')
    if rng.random() < 0.5:
        left = int(rng.integers(0, width // 2))
        scene[:horizon, left:left + width // 3] = NAMES.index('wall')
    for name in ('person', 'car'):
        for _ in range(int(rng.integers(0, 3))):
            obj_h, obj_w = int(rng.integers(8, 18)), int(rng.integers(6, 20))
            top = min(max(horizon - obj_h // 2, 0), height - obj_h)
            left = int(rng.integers(0, width - obj_w))
            scene[top:top + obj_h, left:left + obj_w] = NAMES.index(name)
    band = int(rng.integers(0, height - 2))
    scene[band:band + 2, :width // 4] = -1
    return scene


#: data_root -> dataset, seed, label of its first class, ignored label,
#: the files of an image and of its annotation, and of a split's list
LAYOUTS = {
    'VOCdevkit/VOC2010':
    (PascalContextDataset59, 0, 1, 0, 'JPEGImages/{stem}.jpg',
     'SegmentationClassContext/{stem}.png',
     'ImageSets/SegmentationContext/{split}.txt'),
    'ADEChallengeData2016':
    (ADE20KDataset, 1, 1, 0, 'images/{folder}/{stem}.jpg',
     'annotations/{folder}/{stem}.png', None),
    'cityscapes':
    (CityscapesDataset, 2, 0, 255, 'leftImg8bit/{city_stem}_leftImg8bit.png',
     'gtFine/{city_stem}_gtFine_labelTrainIds.png', None),
}


def make_tiny_dataset(root: Path, data_root: str) -> Path:
    """Write the tiny sample of :data:`LAYOUTS`' ``data_root`` under
    ``root``; returns its folder."""
    dataset, seed, first, ignored, image, label, split_list = LAYOUTS[
        data_root]
    data_root = Path(root) / data_root
    classes = [name.strip() for name in dataset.METAINFO['classes']]
    classes = [name.replace('terrain', 'grass') for name in classes]
    lut = np.array([classes.index(name) + first
                    for name in NAMES] + [ignored], np.uint8)
    palette = np.array([*CLASS_COLORS.values(), (0, 0, 0)], np.float32)
    jpeg = [cv2.IMWRITE_JPEG_QUALITY, 90] if image.endswith('.jpg') else None
    rng = np.random.default_rng(seed)
    for split, count in SPLIT_SIZES.items():
        stems = [f'tiny_{split}_{i:03d}' for i in range(count)]
        if split_list:
            put_text(''.join(f'{stem}\n' for stem in stems),
                     data_root / split_list.format(split=split))
        for i, stem in enumerate(stems):
            city = CITIES[split][i % 2]
            names = dict(
                stem=stem,
                folder='training' if split == 'train' else 'validation',
                city_stem=f'{split}/{city}/{city}_{i:06d}_000019')
            scene = _scene(rng)
            noise = rng.normal(0, 12, (*scene.shape, 3)).astype(np.float32)
            mmcv.imwrite(
                np.clip(palette[scene] + noise, 0, 255).astype(np.uint8),
                data_root / image.format(**names), jpeg)
            mmcv.imwrite(lut[scene], data_root / label.format(**names))
    return data_root


def make_tiny_broken_pascal_context(root: Path, source: Path) -> Path:
    """Write the :data:`BROKEN_CASES` and an empty split under ``root`` from
    the tiny Pascal Context at ``source``; returns their ``data_root``."""
    source, data_root = Path(source), Path(root) / 'VOCdevkit' / 'VOC2010'
    splits = data_root / 'ImageSets' / 'SegmentationContext'
    for case, name in BROKEN_CASES.items():
        image = (source / 'JPEGImages' / f'{name}.jpg').read_bytes()
        if case == 'truncated_image':
            image = image[:len(image) // 2]
        put(image, data_root / 'JPEGImages' / f'{case}.jpg')
        label = mmcv.imread(
            source / 'SegmentationClassContext' / f'{name}.png', 'unchanged')
        if case == 'size_mismatch':
            label = label[:-1:2, :-1:2]  # cv2.INTER_NEAREST to half the size
        elif case == 'label_out_of_range':
            label[:4, :4], label[-4:, -4:] = OUT_OF_RANGE_RAW_LABEL, 255
        if case != 'missing_annotation':
            mmcv.imwrite(
                label, data_root / 'SegmentationClassContext' / f'{case}.png')
        put_text(f'{case}\n', splits / f'{case}.txt')
    put_text('', splits / 'empty.txt')
    return data_root


if __name__ == '__main__':
    for data_root in LAYOUTS:
        make_tiny_dataset(REPO_ROOT / 'data' / 'tiny', data_root)
    make_tiny_broken_pascal_context(
        REPO_ROOT / 'data' / 'tiny_broken',
        REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010')
