# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segmenting odd inputs gives a mask of the image's own size (and an
overlay of that size with the legend beside it): grayscale,
RGBA, 16-bit PNG (scaled to 8 bits), 32x32, 64x2048 and an EXIF-rotated
JPEG (whose mask follows the displayed, rotated orientation)."""
import re

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from mmseg.datasets import PascalContextDataset59
from mmseg_jpu.tools.infer import segment
from mmseg_jpu.utils.config_loading import load_config
from .conftest import TINY_PASCAL_CONTEXT_CONFIG

PALETTE = {tuple(c) for c in PascalContextDataset59.METAINFO['palette']}
#: EXIF orientation 6: the stored pixels are shown rotated 90 degrees
#: clockwise.
EXIF_ORIENTATION = 0x0112
ROTATE_90_CW = 6


def _pattern(height, width, rng):
    """Colour noise with a white left half, so rotations are told apart."""
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    image[:, :width // 2] = 255
    return image


def _write_exif_rotated_jpeg(path, image_rgb):
    exif = Image.Image().getexif()
    exif[EXIF_ORIENTATION] = ROTATE_90_CW
    Image.fromarray(image_rgb).save(path, exif=exif.tobytes(), quality=95)


def _write_inputs(folder):
    """Write the inputs; return ``{name: (height, width) of its mask}``."""
    rng = np.random.default_rng(0)
    image = _pattern(45, 61, rng)
    deep = rng.integers(0, 65536, (40, 52, 3), dtype=np.uint16)
    cv2.imwrite(str(folder / 'gray.png'),
                cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(folder / 'rgba.png'),
                cv2.cvtColor(image, cv2.COLOR_BGR2BGRA))
    cv2.imwrite(str(folder / 'color16.png'), deep)
    cv2.imwrite(str(folder / 'small.png'), _pattern(32, 32, rng))
    cv2.imwrite(str(folder / 'wide.png'), _pattern(64, 2048, rng))
    _write_exif_rotated_jpeg(folder / 'exif.jpg', _pattern(30, 50, rng))
    return {
        'gray.png': (45, 61),
        'rgba.png': (45, 61),
        'color16.png': (40, 52),
        'small.png': (32, 32),
        'wide.png': (64, 2048),
        'exif.jpg': (50, 30),  # stored 30x50, displayed rotated
    }


def _segment(source, checkpoint, out, **options):
    return list(
        segment(source, load_config(TINY_PASCAL_CONTEXT_CONFIG), checkpoint,
                out, **options))


def test_masks_have_the_size_of_each_image(untrained_tiny_checkpoint,
                                           tmp_path):
    folder = tmp_path / 'images'
    folder.mkdir()
    sizes = _write_inputs(folder)
    written = _segment(folder, untrained_tiny_checkpoint, tmp_path / 'out')
    assert sorted(image.name for image, _, _ in written) == sorted(sizes)
    for image, (mask, overlay), _ in written:
        height, width = sizes[image.name]
        mask = cv2.imread(str(mask))
        overlay = cv2.imread(str(overlay))
        assert mask.shape == (height, width, 3), image
        # the overlay has the image's size, plus the legend on its right
        assert overlay.shape[0] >= height and overlay.shape[1] > width
        colors = {tuple(c) for c in mask[..., ::-1].reshape(-1, 3)}
        assert colors <= PALETTE, image


def _shown(path, checkpoint, tmp_path):
    """The image under the overlay drawn at opacity 0 (RGB)."""
    [(_, (_, overlay), _)] = _segment(
        path, checkpoint, tmp_path / 'out.png', opacity=0)
    height, width = cv2.imread(str(tmp_path / 'out.png')).shape[:2]
    return cv2.imread(str(overlay))[:height, :width, ::-1].astype(int)


def test_exif_rotated_jpeg_is_read_as_displayed(untrained_tiny_checkpoint,
                                                tmp_path):
    stored = _pattern(30, 50, np.random.default_rng(1))
    path = tmp_path / 'exif.jpg'
    _write_exif_rotated_jpeg(path, stored)
    displayed = np.asarray(ImageOps.exif_transpose(Image.open(path)))
    pixels = _shown(path, untrained_tiny_checkpoint, tmp_path)
    assert pixels.shape == displayed.shape == (50, 30, 3)
    assert np.abs(pixels - displayed).mean() < 1
    # the white half is on top after a clockwise quarter turn
    assert pixels[:25].mean() > 250 > pixels[25:].mean()


def test_16_bit_png_is_scaled_to_8_bits(untrained_tiny_checkpoint,
                                        tmp_path):
    deep = np.random.default_rng(2).integers(
        0, 65536, (8, 9, 3), dtype=np.uint16)
    cv2.imwrite(str(tmp_path / 'deep.png'), deep)
    pixels = _shown(tmp_path / 'deep.png', untrained_tiny_checkpoint,
                    tmp_path)
    assert np.abs(pixels[..., ::-1] - deep.astype(int) / 256).max() <= 1


@pytest.mark.parametrize('content', [b'', b'not an image'])
def test_undecodable_file_is_named(untrained_tiny_checkpoint, tmp_path,
                                   content):
    path = tmp_path / 'broken.png'
    path.write_bytes(content)
    with pytest.raises(ValueError,
                       match=re.escape(f'cannot decode image {path}') + '$'):
        _segment(path, untrained_tiny_checkpoint, tmp_path / 'out.png')
