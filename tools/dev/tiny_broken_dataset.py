# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Write a tiny Pascal Context with one broken sample per split file, made
from the bundled tiny sample, for the tests of how broken data is reported.

Layout (VOC2010, as ``PascalContextDataset59`` reads it)::

    VOCdevkit/VOC2010/JPEGImages/<case>.jpg
    VOCdevkit/VOC2010/SegmentationClassContext/<case>.png
    VOCdevkit/VOC2010/ImageSets/SegmentationContext/<case>.txt

Every split file lists the one sample of its case, except ``empty.txt``,
which is empty. The cases (see ``BROKEN_CASES``):

* ``missing_annotation``: the image has no annotation file.
* ``truncated_image``: the JPEG is cut after half of its bytes.
* ``size_mismatch``: the annotation is half the size of its image.
* ``label_out_of_range``: the annotation holds raw label 60, which
  ``reduce_zero_label`` turns into 59, one more than the 59 classes allow
  (0-58); it also holds raw 255, the ignore index, which is allowed.
"""
from pathlib import Path

import cv2
import numpy as np

#: case name -> the bundled tiny sample it is made from.
BROKEN_CASES = {
    'missing_annotation': 'tiny_val_000',
    'truncated_image': 'tiny_val_001',
    'size_mismatch': 'tiny_val_002',
    'label_out_of_range': 'tiny_val_003',
}
#: raw on-disk label written into the ``label_out_of_range`` annotation.
OUT_OF_RANGE_RAW_LABEL = 60
IGNORE_INDEX = 255
EMPTY_SPLIT = 'empty'


def _copy(source: Path, target: Path, num_bytes: int = None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes()[:num_bytes])


def _write_label(path: Path, label: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), label)


def _broken_label(case: str, label: np.ndarray) -> np.ndarray:
    """The annotation of ``case`` made from a good one."""
    if case == 'size_mismatch':
        height, width = label.shape
        return cv2.resize(
            label, (width // 2, height // 2),
            interpolation=cv2.INTER_NEAREST)
    if case == 'label_out_of_range':
        label = label.copy()
        label[:4, :4] = OUT_OF_RANGE_RAW_LABEL
        label[-4:, -4:] = IGNORE_INDEX
    return label


def make_tiny_broken_pascal_context(root: Path, source: Path) -> Path:
    """Write the broken cases under ``root`` from the tiny sample at
    ``source`` (a ``VOCdevkit/VOC2010`` folder, e.g. ``data/tiny``'s).

    Returns:
        Path: The ``data_root`` for mmseg's ``PascalContextDataset59``.
    """
    source = Path(source)
    data_root = Path(root) / 'VOCdevkit' / 'VOC2010'
    split_dir = data_root / 'ImageSets' / 'SegmentationContext'
    split_dir.mkdir(parents=True, exist_ok=True)
    for case, name in BROKEN_CASES.items():
        image = source / 'JPEGImages' / f'{name}.jpg'
        num_bytes = (image.stat().st_size // 2
                     if case == 'truncated_image' else None)
        _copy(image, data_root / 'JPEGImages' / f'{case}.jpg', num_bytes)
        if case != 'missing_annotation':
            label = cv2.imread(
                str(source / 'SegmentationClassContext' / f'{name}.png'),
                cv2.IMREAD_UNCHANGED)
            _write_label(
                data_root / 'SegmentationClassContext' / f'{case}.png',
                _broken_label(case, label))
        (split_dir / f'{case}.txt').write_text(f'{case}\n')
    (split_dir / f'{EMPTY_SPLIT}.txt').write_text('')
    return data_root
