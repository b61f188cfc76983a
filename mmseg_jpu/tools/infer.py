# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment images with mmseg's inference API and write colour masks and
overlays."""
from pathlib import Path
from typing import Iterator, List, Tuple

import cv2
import mmcv
import numpy as np

from mmseg.apis import inference_model, init_model

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def image_paths(source: Path) -> List[Path]:
    """``source`` itself, or the images of a folder (sorted)."""
    source = Path(source)
    if source.is_dir():
        paths = sorted(p for p in source.iterdir()
                       if p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise FileNotFoundError(f'no images ({", ".join(IMAGE_SUFFIXES)})'
                                    f' in folder {source}')
        return paths
    if not source.is_file():
        raise FileNotFoundError(f'image not found: {source}')
    return [source]


def output_paths(source: Path, out: Path,
                 image: Path) -> Tuple[Path, Path]:
    """Mask and overlay paths: ``OUT`` and ``OUT_overlay`` for one image,
    ``OUT/<name>.png`` and ``OUT/<name>_overlay.png`` for a folder."""
    out = Path(out)
    if Path(source).is_dir():
        return out / f'{image.stem}.png', out / f'{image.stem}_overlay.png'
    return out, out.with_name(f'{out.stem}_overlay{out.suffix}')


def read_bgr(path: Path) -> np.ndarray:
    """8-bit BGR pixels as the image is displayed, read with OpenCV's colour
    flag: grayscale is expanded to three channels, alpha is dropped, 16-bit
    values are scaled to 8 bits and the EXIF orientation of a JPEG is
    applied (the mask then has the rotated size)."""
    try:
        image = mmcv.imread(str(path), flag='color', backend='cv2')
    except cv2.error as error:  # e.g. an empty file
        raise ValueError(f'cannot decode image {path}') from error
    if image is None:
        raise ValueError(f'cannot decode image {path}')
    return image


def colorize(prediction: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """BGR colour mask of a label map."""
    return palette[prediction][..., ::-1]


def segment(sources: Path, config: Path, checkpoint: Path, out: Path,
            device: str = 'cpu',
            opacity: float = 0.5) -> Iterator[Tuple[Path, Path, Path]]:
    """Segment every image; yield ``(image, mask, overlay)`` paths."""
    model = init_model(str(config), str(checkpoint), device=device)
    palette = np.array(model.dataset_meta['palette'], dtype=np.uint8)
    for path in image_paths(sources):
        image = read_bgr(path)
        prediction = inference_model(model, image).pred_sem_seg.data[0]
        mask = colorize(prediction.cpu().numpy(), palette)
        overlay = (image * (1 - opacity) + mask * opacity).astype(np.uint8)
        mask_path, overlay_path = output_paths(sources, out, path)
        mmcv.imwrite(mask, str(mask_path))
        mmcv.imwrite(overlay, str(overlay_path))
        yield path, mask_path, overlay_path
