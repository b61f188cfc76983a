# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment images with mmseg's ``MMSegInferencer``, from a checkpoint or an
exported model, and write masks and overlays with a legend."""
import os
from itertools import product
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch.nn as nn
from mmengine.utils import scandir

from mmseg.apis import MMSegInferencer
from ..deploy import ExportedSegmentor
from ..utils.config_loading import load_config

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: exported models (``tools/export_onnx.py``, ``tools/quantize.py``)
EXPORTED_SUFFIXES = ('.onnx', '.xml')
#: CIE76 (Lab) difference under which two legend colours are hard to tell
#: apart (Pascal Context's road and car: 6.0; Cityscapes' closest: 15.03)
MIN_COLOR_DIFFERENCE = 15
#: the colours a class too close to another is drawn in instead
SPARE_COLORS = np.array(list(product(range(0, 256, 51), repeat=3)), np.uint8)


class Outputs(NamedTuple):
    """The files written for one image."""
    mask: Path
    overlay: Path
    labels: Optional[Path] = None


class LegendEntry(NamedTuple):
    """A class present in a prediction: its share of the pixels (0 to 1),
    the RGB colour it is drawn in and, when that replaces the palette's
    (too close to another present class's), the palette's."""
    label: int
    name: str
    color: Tuple[int, int, int]
    share: float
    palette_color: Optional[Tuple[int, int, int]] = None


class Segmented(NamedTuple):
    """What :func:`segment` wrote for one image."""
    image: Path
    outputs: Outputs
    legend: List[LegendEntry]


class Inferencer(MMSegInferencer):
    """``MMSegInferencer`` that also runs exported models (``backend`` and
    ``precision`` on the CPU) and, when the weights do not name every class
    of the model, names them ``class N`` in fixed random colours."""

    def __init__(self, cfg, weights: Path, device: str = 'cpu',
                 backend: str = 'onnxruntime', precision: str = 'fp32'):
        self.runtime = dict(backend=backend, precision=precision)
        super().__init__(cfg, str(weights), device=device)
        self.show_progress = False  # not an argument in mmseg 1.2.2

    def _init_visualizer(self, cfg):
        cfg.visualizer.pop('vis_backends', None)  # draws, writes nothing
        return super()._init_visualizer(cfg)

    def _init_model(self, cfg, weights, device) -> nn.Module:
        if Path(weights).suffix in EXPORTED_SUFFIXES:
            model = ExportedSegmentor(cfg, weights, **self.runtime)
        else:
            model = super()._init_model(cfg, weights, device)
        head = model.decode_head
        count = (head[-1] if isinstance(head, nn.ModuleList) else
                 head).num_classes
        meta = model.dataset_meta or {}
        names = list(meta.get('classes') or ())
        palette = np.array(meta.get('palette') or (), np.uint8).reshape(-1, 3)
        if len(names) != count or len(palette) < count:
            names = [f'class {i}' for i in range(count)]
            palette = np.random.default_rng(0).integers(
                0, 256, (count, 3), dtype=np.uint8)
        model.dataset_meta = dict(classes=names, palette=palette[:count])
        return model


def writes_into_folder(source, out) -> bool:
    """Whether ``out`` is a folder to write into (``source`` is a folder, or
    ``out`` is one or ends with a separator) rather than the file."""
    return (Path(source).is_dir() or Path(out).is_dir()
            or str(out).endswith(('/', os.sep)))


def image_paths(source: Path) -> List[Path]:
    """``source`` itself, or the images of a folder (sorted)."""
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise FileNotFoundError(f'image not found: {source}')
    paths = sorted(source / name for name in scandir(
        source, IMAGE_SUFFIXES, case_sensitive=False))
    if not paths:
        raise FileNotFoundError(f'no images ({", ".join(IMAGE_SUFFIXES)})'
                                f' in folder {source}')
    return paths


def plan_outputs(source, out, labels=None) -> List[Tuple[Path, Outputs]]:
    """Each image of ``source`` with its files: ``OUT``, ``OUT_overlay`` and
    ``LABELS``, or ``OUT/<name>.png``, ``OUT/<name>_overlay.png`` and
    ``LABELS/<name>.png`` when writing into folders.

    Raises:
        FileNotFoundError: If there is no image.
        ValueError: If a file would overwrite an input or another file.
    """

    def path(out, image, tag=''):
        out = Path(out)
        if writes_into_folder(source, out):
            return out / f'{image.stem}{tag}.png'
        return out.with_name(f'{out.stem}{tag}{out.suffix}')

    plan = [(image,
             Outputs(path(out, image), path(out, image, '_overlay'),
                     path(labels, image) if labels else None))
            for image in image_paths(source)]
    inputs = {image.resolve() for image, _ in plan}
    writers = {}
    for image, outputs in plan:
        for file in filter(None, outputs):
            key = file.resolve()
            if key in inputs:
                raise ValueError(f'{file} would overwrite an input image: '
                                 'write the outputs into another folder')
            if writers.get(key) == image:
                raise ValueError(f'the mask and the class-index mask would '
                                 f'both be {file}: give --labels another '
                                 'path than --out')
            if key in writers:
                raise ValueError(f'{writers[key]} and {image} would both '
                                 f'write {file}: rename one of them')
            writers[key] = image
    return plan


def read_bgr(path: Path) -> np.ndarray:
    """``(H, W, 3)`` uint8 BGR pixels as the image is displayed (OpenCV's
    colour flag: grey expanded, alpha dropped, 16 bits scaled to 8, EXIF
    orientation applied)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'cannot decode image {path}')
    return image


def legend(prediction: np.ndarray, names: Sequence[str],
           palette: np.ndarray) -> List[LegendEntry]:
    """The classes present in ``prediction`` (``(H, W)`` class indices),
    most pixels first; a colour closer than :data:`MIN_COLOR_DIFFERENCE` to
    an earlier one is replaced by the spare colour farthest from all the
    others (``palette``: ``(K, 3)`` uint8 RGB)."""
    counts = np.bincount(prediction.ravel(), minlength=len(names))
    order = sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], i))
    colors = palette[order]
    lab, spare = (cv2.cvtColor(rgb[None].astype(np.float32) / 255,
                               cv2.COLOR_RGB2Lab)[0]
                  for rgb in (colors, SPARE_COLORS))
    for i in range(1, len(colors)):
        if np.linalg.norm(lab[:i] - lab[i], axis=1).min() < (
                MIN_COLOR_DIFFERENCE):
            distance = spare[:, None] - np.delete(lab, i, axis=0)[None]
            best = np.linalg.norm(distance, axis=2).min(1).argmax()
            colors[i], lab[i] = SPARE_COLORS[best], spare[best]
    return [
        LegendEntry(int(i), names[i], tuple(map(int, color)),
                    counts[i] / prediction.size,
                    None if (color == palette[i]).all() else tuple(
                        map(int, palette[i])))
        for i, color in zip(order, colors)
    ]


def legend_text(entry: LegendEntry) -> str:
    return f'{entry.share:6.1%}  {entry.name}'


def draw_legend(overlay: np.ndarray,
                entries: Sequence[LegendEntry]) -> np.ndarray:
    """``overlay`` (``(H, W, 3)`` BGR) with a white panel on its right
    listing a swatch, :func:`legend_text` per entry; sizes grow with images
    taller than 512 pixels, the picture downwards for a longer list."""
    height, width = overlay.shape[:2]
    scale = max(1.0, height / 512)
    row, swatch, pad = (round(n * scale) for n in (20, 14, 6))
    face, size, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, max(
        1, int(scale))
    texts = [legend_text(entry) for entry in entries]
    text_width = max(
        cv2.getTextSize(text, face, size, thick)[0][0] for text in texts)
    canvas = np.full((max(height, 2 * pad + row * len(entries)),
                      width + 3 * pad + swatch + text_width, 3), 255, np.uint8)
    canvas[:height, :width] = overlay
    x = width + pad
    for i, (entry, text) in enumerate(zip(entries, texts)):
        y = pad + i * row
        canvas[y:y + swatch, x:x + swatch] = entry.color[::-1]
        cv2.rectangle(canvas, (x, y), (x + swatch - 1, y + swatch - 1),
                      (0, 0, 0), 1)
        cv2.putText(canvas, text, (x + swatch + pad, y + swatch - 1), face,
                    size, (0, 0, 0), thick, cv2.LINE_AA)
    return canvas


def segment(source: Path, cfg, checkpoint: Path, out: Path,
            device: str = 'cpu', opacity: float = 0.5,
            labels: Optional[Path] = None, backend: str = 'onnxruntime',
            precision: str = 'fp32') -> Iterator[Segmented]:
    """Segment every image of ``source`` into the files of
    :func:`plan_outputs` (``cfg``: a ``Config``, file or ``mmseg::path``);
    yield what was written for each."""
    plan = plan_outputs(source, out, labels)
    if isinstance(cfg, (str, Path)):
        cfg = load_config(cfg)
    inferencer = Inferencer(cfg, checkpoint, device, backend, precision)
    meta, visualizer = inferencer.model.dataset_meta, inferencer.visualizer
    names, palette = meta['classes'], meta['palette']
    for path, outputs in plan:
        image = read_bgr(path)
        sample = inferencer(image, return_datasamples=True)
        prediction = sample.pred_sem_seg.data[0].cpu().numpy()
        entries = legend(prediction, names, palette)
        drawn = palette.copy()
        drawn[[e.label for e in entries]] = [e.color for e in entries]
        visualizer.set_dataset_meta(names, drawn.tolist())
        visualizer.alpha = opacity
        visualizer.add_datasample('overlay', image[..., ::-1], sample,
                                  draw_gt=False, with_labels=False)
        overlay = draw_legend(visualizer.get_image()[..., ::-1], entries)
        dtype = np.uint8 if len(names) <= 255 else np.uint16
        for file, pixels in zip(outputs, (palette[prediction][..., ::-1],
                                          overlay, prediction.astype(dtype))):
            if file and not mmcv.imwrite(pixels, str(file)):
                raise OSError(f'cannot write {file}')
        yield Segmented(path, outputs, entries)
