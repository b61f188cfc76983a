# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Developer tool: regenerate the tiny, learnable Pascal Context, ADE20K and
Cityscapes samples in ``data/tiny`` (real on-disk layouts) and the broken
Pascal Context cases made from them in ``data/tiny_broken``.

The scenes are synthetic (sky over grass or road, with a wall, people and
cars), every class has its own colour, image sizes are odd and differ, and
each annotation holds ignored pixels: raw label 0 (which mmseg's
``reduce_zero_label`` turns into the ignore index), or 255 in Cityscapes'
train ids. Each broken case is one split file of ``data/tiny_broken``'s
``ImageSets/SegmentationContext`` (see :data:`BROKEN_CASES`), besides
``empty.txt``, which lists nothing.
"""
import argparse
from pathlib import Path
from typing import Callable, Dict, Tuple

import cv2
import numpy as np

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
#: split -> the Cityscapes cities its images are spread over
CITYSCAPES_CITIES = {
    'train': ('aachen', 'bremen'),
    'val': ('frankfurt', 'lindau')
}
#: broken case -> the tiny Pascal Context sample it is made from:
#: ``truncated_image`` keeps half of the JPEG's bytes, ``size_mismatch``
#: halves the annotation, ``label_out_of_range`` holds raw label
#: :data:`OUT_OF_RANGE_RAW_LABEL` (59 after ``reduce_zero_label``, one more
#: than the 59 classes allow) and raw 255, the ignore index.
BROKEN_CASES = {
    'missing_annotation': 'tiny_val_000',
    'truncated_image': 'tiny_val_001',
    'size_mismatch': 'tiny_val_002',
    'label_out_of_range': 'tiny_val_003',
}
OUT_OF_RANGE_RAW_LABEL = 60


def _save(path: Path, content) -> None:
    """Write an image array (JPEG quality 90), bytes or text to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, np.ndarray):
        jpeg = [cv2.IMWRITE_JPEG_QUALITY, 90] if path.suffix == '.jpg' else []
        cv2.imwrite(str(path), content, jpeg)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


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


def _write_samples(data_root: Path, seed: int, labels: Dict[str, int],
                   ignored: int, paths: Callable[[str, int], Tuple[str, str]]
                   ) -> Path:
    """Write every split's scenes, class ``name`` labelled
    ``labels[name]``, as the ``(image, annotation)`` files ``paths(split,
    index)`` under ``data_root``."""
    rng = np.random.default_rng(seed)
    palette = np.array([*CLASS_COLORS.values(), (0, 0, 0)], np.float32)
    lut = np.array([labels[name] for name in NAMES] + [ignored], np.uint8)
    for split, count in SPLIT_SIZES.items():
        for index in range(count):
            scene = _scene(rng)
            noise = rng.normal(0, 12, (*scene.shape, 3)).astype(np.float32)
            image = np.clip(palette[scene] + noise, 0, 255).astype(np.uint8)
            image_path, label_path = paths(split, index)
            _save(data_root / image_path, image)
            _save(data_root / label_path, lut[scene])
    return data_root


def _raw_labels(dataset_class) -> Dict[str, int]:
    """Raw label of each scene class: its index in the dataset's classes
    + 1 (raw 0 is the ignored background/"other")."""
    classes = [name.strip() for name in dataset_class.METAINFO['classes']]
    return {name: classes.index(name) + 1 for name in NAMES}


def make_tiny_pascal_context(root: Path, seed: int = 0) -> Path:
    """Write a tiny Pascal Context (VOC2010 layout) under ``root``; returns
    its ``data_root``."""
    from mmseg.datasets import PascalContextDataset59
    data_root = Path(root) / 'VOCdevkit' / 'VOC2010'
    for split, count in SPLIT_SIZES.items():
        _save(data_root / f'ImageSets/SegmentationContext/{split}.txt',
              ''.join(f'tiny_{split}_{i:03d}\n' for i in range(count)))
    return _write_samples(
        data_root, seed, _raw_labels(PascalContextDataset59), 0,
        lambda split, i: (f'JPEGImages/tiny_{split}_{i:03d}.jpg',
                          f'SegmentationClassContext/tiny_{split}_{i:03d}'
                          '.png'))


def make_tiny_ade20k(root: Path, seed: int = 1) -> Path:
    """Write a tiny ADE20K (ADEChallengeData2016 layout) under ``root``;
    returns its ``data_root``."""
    from mmseg.datasets import ADE20KDataset
    folders = {'train': 'training', 'val': 'validation'}
    return _write_samples(
        Path(root) / 'ADEChallengeData2016', seed,
        _raw_labels(ADE20KDataset), 0, lambda split, i: (
            f'images/{folders[split]}/tiny_{split}_{i:03d}.jpg',
            f'annotations/{folders[split]}/tiny_{split}_{i:03d}.png'))


def make_tiny_cityscapes(root: Path, seed: int = 2) -> Path:
    """Write a tiny Cityscapes (``leftImg8bit``/``gtFine`` layout, train id
    annotations as mmseg's converter makes them) under ``root``; returns
    its ``data_root``."""
    from mmseg.datasets import CityscapesDataset
    classes = CityscapesDataset.METAINFO['classes']
    train_ids = {name: classes.index(name.replace('grass', 'terrain'))
                 for name in NAMES}

    def paths(split, i):
        city = CITYSCAPES_CITIES[split][i % 2]
        stem = f'{split}/{city}/{city}_{i:06d}_000019'
        return (f'leftImg8bit/{stem}_leftImg8bit.png',
                f'gtFine/{stem}_gtFine_labelTrainIds.png')

    return _write_samples(
        Path(root) / 'cityscapes', seed, train_ids, 255, paths)


def make_tiny_broken_pascal_context(root: Path, source: Path) -> Path:
    """Write the :data:`BROKEN_CASES` under ``root`` from the tiny Pascal
    Context at ``source`` (its ``VOCdevkit/VOC2010``); returns their
    ``data_root``."""
    source, data_root = Path(source), Path(root) / 'VOCdevkit' / 'VOC2010'
    splits = data_root / 'ImageSets' / 'SegmentationContext'
    for case, name in BROKEN_CASES.items():
        image = (source / 'JPEGImages' / f'{name}.jpg').read_bytes()
        if case == 'truncated_image':
            image = image[:len(image) // 2]
        _save(data_root / 'JPEGImages' / f'{case}.jpg', image)
        label = cv2.imread(
            str(source / 'SegmentationClassContext' / f'{name}.png'),
            cv2.IMREAD_UNCHANGED)
        if case == 'size_mismatch':
            label = cv2.resize(label, (label.shape[1] // 2,
                                       label.shape[0] // 2),
                               interpolation=cv2.INTER_NEAREST)
        elif case == 'label_out_of_range':
            label[:4, :4], label[-4:, -4:] = OUT_OF_RANGE_RAW_LABEL, 255
        if case != 'missing_annotation':
            _save(data_root / 'SegmentationClassContext' / f'{case}.png',
                  label)
        _save(splits / f'{case}.txt', f'{case}\n')
    _save(splits / 'empty.txt', '')
    return data_root


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--out', default='data/tiny', help='folder to write the datasets in')
    parser.add_argument(
        '--broken-out',
        default='data/tiny_broken',
        help='folder to write the broken cases in')
    args = parser.parse_args()
    pascal_context = make_tiny_pascal_context(args.out)
    print(f'Pascal Context: {pascal_context}')
    print(f'ADE20K: {make_tiny_ade20k(args.out)}')
    print(f'Cityscapes: {make_tiny_cityscapes(args.out)}')
    broken = make_tiny_broken_pascal_context(args.broken_out, pascal_context)
    print(f'Broken Pascal Context cases: {broken}')


if __name__ == '__main__':
    main()
