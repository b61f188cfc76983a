# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/infer.py on the tiny samples: single image, folder, grayscale,
RGBA and odd sizes."""
import subprocess
import sys

import cv2
import pytest
from mmengine.runner import Runner

from mmseg.datasets import PascalContextDataset59

from .conftest import REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config

TINY_IMAGE = (REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010' /
              'JPEGImages' / 'tiny_val_000.jpg')
PALETTE = {tuple(c) for c in PascalContextDataset59.METAINFO['palette']}


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('train')
    Runner.from_cfg(tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, work_dir,
                                    2)).train()
    return work_dir / 'iter_2.pth'


def _infer(source, checkpoint, out):
    return subprocess.run([
        sys.executable,
        str(REPO_ROOT / 'tools' / 'infer.py'),
        str(source),
        str(TINY_PASCAL_CONTEXT_CONFIG),
        str(checkpoint), '--out',
        str(out)
    ],
                          capture_output=True,
                          text=True)


def test_single_image(checkpoint, tmp_path):
    result = _infer(TINY_IMAGE, checkpoint, tmp_path / 'mask.png')
    assert result.returncode == 0, result.stderr
    height, width = cv2.imread(str(TINY_IMAGE)).shape[:2]
    mask = cv2.imread(str(tmp_path / 'mask.png'))
    overlay = cv2.imread(str(tmp_path / 'mask_overlay.png'))
    assert mask.shape == overlay.shape == (height, width, 3)


def test_folder_of_grayscale_rgba_and_odd_sizes(checkpoint, tmp_path):
    image = cv2.imread(str(TINY_IMAGE))
    folder = tmp_path / 'images'
    folder.mkdir()
    cv2.imwrite(str(folder / 'gray.png'),
                cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(folder / 'rgba.png'),
                cv2.cvtColor(image, cv2.COLOR_BGR2BGRA))
    cv2.imwrite(str(folder / 'odd.jpg'), cv2.resize(image, (97, 33)))
    cv2.imwrite(str(folder / 'small.png'), cv2.resize(image, (32, 32)))
    result = _infer(folder, checkpoint, tmp_path / 'out')
    assert result.returncode == 0, result.stderr
    for name, size in (('gray', image.shape[:2]), ('rgba', image.shape[:2]),
                       ('odd', (33, 97)), ('small', (32, 32))):
        mask = cv2.imread(str(tmp_path / 'out' / f'{name}.png'))
        overlay = cv2.imread(str(tmp_path / 'out' / f'{name}_overlay.png'))
        assert mask.shape[:2] == overlay.shape[:2] == size, name
        rgb_colors = {tuple(c) for c in mask[..., ::-1].reshape(-1, 3)}
        assert rgb_colors <= PALETTE, name


def test_missing_image_is_a_clear_error(checkpoint, tmp_path):
    result = _infer(tmp_path / 'nope.jpg', checkpoint, tmp_path / 'm.png')
    assert result.returncode != 0
    assert f'image not found: {tmp_path / "nope.jpg"}' in result.stderr
