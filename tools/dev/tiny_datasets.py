# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Write tiny, learnable segmentation datasets in the real on-disk layouts.

The scenes are synthetic (sky over grass or road, with a wall, people and
cars) and every class has its own colour, so a model can learn them in a few
hundred CPU iterations. Image sizes are odd and differ between images, and
each annotation holds ignored pixels: raw label 0 (Pascal Context
"background", ADE20K "other"), which mmseg's ``reduce_zero_label`` turns
into the ignore index, or 255 in Cityscapes' train ids.

Layouts (as mmseg's dataset configs expect them)::

    VOCdevkit/VOC2010/JPEGImages/*.jpg
    VOCdevkit/VOC2010/SegmentationClassContext/*.png
    VOCdevkit/VOC2010/ImageSets/SegmentationContext/{train,val}.txt

    ADEChallengeData2016/images/{training,validation}/*.jpg
    ADEChallengeData2016/annotations/{training,validation}/*.png

    cityscapes/leftImg8bit/{train,val}/<city>/*_leftImg8bit.png
    cityscapes/gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png
"""
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

#: class name -> BGR colour of its pixels.
CLASS_COLORS: Dict[str, Tuple[int, int, int]] = {
    'sky': (235, 190, 120),
    'grass': (40, 170, 50),
    'road': (110, 110, 110),
    'wall': (60, 120, 200),
    'person': (40, 40, 220),
    'car': (30, 220, 240),
}
#: colour of the ignored pixels.
IGNORED_COLOR = (0, 0, 0)
SPLIT_SIZES = {'train': 8, 'val': 4}
JPEG_QUALITY = 90
#: scene class -> Cityscapes class, where the names differ
CITYSCAPES_NAMES = {'grass': 'terrain'}
#: split -> the cities its images are spread over (two per split, so that
#: the dataset's recursive search is exercised)
CITYSCAPES_CITIES = {
    'train': ('aachen', 'bremen'),
    'val': ('frankfurt', 'lindau')
}
#: label of the ignored pixels in Cityscapes' ``*_labelTrainIds.png``
CITYSCAPES_IGNORED = 255


def _scene(rng: np.random.Generator) -> Tuple[np.ndarray, List[str]]:
    """Draw one scene as a map of class indices into ``CLASS_COLORS``.

    Returns:
        tuple: ``(index_map, names)`` where ``index_map`` is an int map of
        shape (H, W), -1 marking ignored pixels, and ``names`` the class name
        of each index.
    """
    names = list(CLASS_COLORS)
    height, width = int(rng.integers(41, 80)), int(rng.integers(47, 96))
    index_map = np.full((height, width), names.index('sky'), np.int64)
    horizon = int(rng.integers(height // 3, 2 * height // 3))
    ground = 'grass' if rng.random() < 0.5 else 'road'
    index_map[horizon:] = names.index(ground)
    if rng.random() < 0.5:
        left = int(rng.integers(0, width // 2))
        index_map[:horizon, left:left + width // 3] = names.index('wall')
    for name in ('person', 'car'):
        for _ in range(int(rng.integers(0, 3))):
            _draw_object(rng, index_map, names.index(name), horizon)
    band = int(rng.integers(0, height - 2))
    index_map[band:band + 2, :width // 4] = -1
    return index_map, names


def _draw_object(rng: np.random.Generator, index_map: np.ndarray, index: int,
                 horizon: int) -> None:
    height, width = index_map.shape
    obj_h, obj_w = int(rng.integers(8, 18)), int(rng.integers(6, 20))
    top = min(max(horizon - obj_h // 2, 0), height - obj_h)
    left = int(rng.integers(0, width - obj_w))
    index_map[top:top + obj_h, left:left + obj_w] = index


def _render(rng: np.random.Generator, index_map: np.ndarray,
            names: Sequence[str]) -> np.ndarray:
    palette = np.array([CLASS_COLORS[n] for n in names] + [IGNORED_COLOR],
                       np.float32)
    image = palette[index_map]
    image += rng.normal(0, 12, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _labels(index_map: np.ndarray, names: Sequence[str],
            raw_label: Dict[str, int], ignored: int) -> np.ndarray:
    lut = np.array([raw_label[n] for n in names] + [ignored], np.uint8)
    return lut[index_map]


def _write_pair(image_path: Path, label_path: Path, image: np.ndarray,
                label: np.ndarray) -> None:
    image_path.parent.mkdir(parents=True, exist_ok=True)
    label_path.parent.mkdir(parents=True, exist_ok=True)
    jpeg = image_path.suffix == '.jpg'
    cv2.imwrite(str(image_path), image,
                [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if jpeg else [])
    cv2.imwrite(str(label_path), label)


def _samples(seed: int, raw_label: Dict[str, int], ignored: int = 0):
    """Yield ``(split, index, image, label)`` for every sample; ignored
    pixels get label ``ignored``."""
    rng = np.random.default_rng(seed)
    for split, count in SPLIT_SIZES.items():
        for i in range(count):
            index_map, names = _scene(rng)
            yield (split, i, _render(rng, index_map, names),
                   _labels(index_map, names, raw_label, ignored))


def _raw_labels(classes: Sequence[str]) -> Dict[str, int]:
    """Raw on-disk label of each scene class: its index in ``classes`` + 1
    (raw 0 is the ignored background/"other")."""
    stripped = [c.strip() for c in classes]
    return {name: stripped.index(name) + 1 for name in CLASS_COLORS}


def make_tiny_pascal_context(root: Path, seed: int = 0) -> Path:
    """Write a tiny Pascal Context (VOC2010 layout) under ``root``.

    Returns:
        Path: The ``data_root`` for mmseg's ``PascalContextDataset59``.
    """
    from mmseg.datasets import PascalContextDataset59
    data_root = Path(root) / 'VOCdevkit' / 'VOC2010'
    raw_label = _raw_labels(PascalContextDataset59.METAINFO['classes'])
    split_names: Dict[str, List[str]] = {split: [] for split in SPLIT_SIZES}
    for split, i, image, label in _samples(seed, raw_label):
        name = f'tiny_{split}_{i:03d}'
        _write_pair(data_root / 'JPEGImages' / f'{name}.jpg',
                    data_root / 'SegmentationClassContext' / f'{name}.png',
                    image, label)
        split_names[split].append(name)
    split_dir = data_root / 'ImageSets' / 'SegmentationContext'
    split_dir.mkdir(parents=True, exist_ok=True)
    for split, names in split_names.items():
        (split_dir / f'{split}.txt').write_text('\n'.join(names) + '\n')
    return data_root


def make_tiny_ade20k(root: Path, seed: int = 1) -> Path:
    """Write a tiny ADE20K (ADEChallengeData2016 layout) under ``root``.

    Returns:
        Path: The ``data_root`` for mmseg's ``ADE20KDataset``.
    """
    from mmseg.datasets import ADE20KDataset
    data_root = Path(root) / 'ADEChallengeData2016'
    raw_label = _raw_labels(ADE20KDataset.METAINFO['classes'])
    folders = {'train': 'training', 'val': 'validation'}
    for split, i, image, label in _samples(seed, raw_label):
        name = f'tiny_{split}_{i:03d}'
        _write_pair(data_root / 'images' / folders[split] / f'{name}.jpg',
                    data_root / 'annotations' / folders[split] /
                    f'{name}.png', image, label)
    return data_root


def make_tiny_cityscapes(root: Path, seed: int = 2) -> Path:
    """Write a tiny Cityscapes (``leftImg8bit``/``gtFine`` layout, train id
    annotations as mmseg's ``tools/dataset_converters/cityscapes.py`` makes
    them) under ``root``.

    Returns:
        Path: The ``data_root`` for mmseg's ``CityscapesDataset``.
    """
    from mmseg.datasets import CityscapesDataset
    data_root = Path(root) / 'cityscapes'
    classes = CityscapesDataset.METAINFO['classes']
    train_id = {
        name: classes.index(CITYSCAPES_NAMES.get(name, name))
        for name in CLASS_COLORS
    }
    for split, i, image, label in _samples(seed, train_id,
                                           CITYSCAPES_IGNORED):
        cities = CITYSCAPES_CITIES[split]
        city = cities[i % len(cities)]
        stem = f'{city}/{city}_{i:06d}_000019'
        _write_pair(
            data_root / 'leftImg8bit' / split / f'{stem}_leftImg8bit.png',
            data_root / 'gtFine' / split / f'{stem}_gtFine_labelTrainIds.png',
            image, label)
    return data_root
