# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment images with mmseg's ``MMSegInferencer``, from a checkpoint or an
exported model, and write masks and overlays with a legend."""
from collections import Counter
from itertools import product
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Tuple

import cv2
import mmcv
import numpy as np
import torch.nn as nn
from mmengine.utils import scandir

from mmseg.apis import MMSegInferencer
from ..deploy import ExportedSegmentor

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
EXPORTED_SUFFIXES = ('.onnx', '.xml')
#: CIE76 (Lab) difference under which two colours are hard to tell apart
MIN_COLOR_DIFFERENCE = 15
SPARE_COLORS = np.array(list(product(range(0, 256, 51), repeat=3)), np.uint8)


class LegendEntry(NamedTuple):
    """A class present in a prediction: its share of the pixels (0 to 1),
    the RGB colour it is drawn in and its palette's."""
    label: int
    name: str
    color: Tuple[int, int, int]
    share: float
    palette_color: Tuple[int, int, int]


class Inferencer(MMSegInferencer):
    """``MMSegInferencer`` that also runs exported models (``runtime``:
    their ``backend`` and ``precision``) and names the classes ``class N``
    when the weights do not name those of the model."""

    def __init__(self, cfg, weights: Path, device: str = 'cpu', **runtime):
        self.runtime = runtime
        cfg.visualizer.pop('vis_backends', None)  # draws, writes nothing
        super().__init__(cfg, str(weights), device=device)
        self.show_progress = False  # not an argument in mmseg 1.2.2

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
    """Whether ``out`` is a folder: ``source`` is one, or ``out`` is one or
    ends with ``/``."""
    return (Path(source).is_dir() or Path(out).is_dir()
            or str(out).endswith('/'))


def image_paths(source: Path) -> List[Path]:
    """``source`` itself, or the images of the folder ``source``, sorted."""
    source = Path(source)
    if source.is_file():
        return [source]
    paths = sorted(source / name for name in scandir(
        source, IMAGE_SUFFIXES, case_sensitive=False))
    if not paths:
        raise FileNotFoundError(f'no {"/".join(IMAGE_SUFFIXES)} images in '
                                f'folder {source}')
    return paths


def plan_outputs(source, out, labels=None) -> List[Tuple[Path, List[Path]]]:
    """Each image of ``source`` with its mask, overlay and (with ``labels``)
    class-index mask: ``OUT``, ``OUT_overlay`` and ``LABELS``, or in folders
    ``OUT/<name>.png``, ``OUT/<name>_overlay.png`` and ``LABELS/<name>.png``;
    ``ValueError`` if a file would be written twice or over an image."""

    def path(out, image, tag=''):
        if writes_into_folder(source, out):
            return Path(out, f'{image.stem}{tag}.png')
        out = Path(out)
        return out.with_name(f'{out.stem}{tag}{out.suffix}')

    plan = [(image, [path(out, image), path(out, image, '_overlay')] +
             ([path(labels, image)] if labels else []))
            for image in image_paths(source)]
    written = Counter(file.resolve() for image, outputs in plan
                      for file in [image, *outputs])
    for file, count in written.items():
        if count > 1:
            raise ValueError(f'{file} would be written twice or over an input '
                             'image: give --out or --labels another path, '
                             'or rename an image')
    return plan


def legend(prediction: np.ndarray, names, palette) -> List[LegendEntry]:
    """The classes present in ``prediction`` (``(H, W)`` class indices),
    most pixels first, in the colours of ``palette`` (``(K, 3)`` uint8 RGB)
    but for one closer than :data:`MIN_COLOR_DIFFERENCE` to an earlier one:
    the spare colour farthest from the others."""
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
                    counts[i] / prediction.size, tuple(map(int, palette[i])))
        for i, color in zip(order, colors)
    ]


def draw_legend(overlay: np.ndarray, entries) -> np.ndarray:
    """``overlay`` (``(H, W, 3)`` BGR) with a white panel on its right: a
    swatch, the share and the name of each entry, larger for taller images.
    """
    height, width = overlay.shape[:2]
    scale = max(1.0, height / 512)
    row, swatch, pad = (round(n * scale) for n in (20, 14, 6))
    font = cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, max(1, int(scale))
    texts = [f'{entry.share:6.1%}  {entry.name}' for entry in entries]
    text_width = max(cv2.getTextSize(text, *font)[0][0] for text in texts)
    canvas = np.full((max(height, 2 * pad + row * len(texts)),
                      width + 3 * pad + swatch + text_width, 3), 255, np.uint8)
    canvas[:height, :width] = overlay
    x = width + pad
    for i, (entry, text) in enumerate(zip(entries, texts)):
        y = pad + i * row
        canvas[y:y + swatch, x:x + swatch] = entry.color[::-1]
        cv2.rectangle(canvas, (x, y), (x + swatch - 1, y + swatch - 1),
                      (0, 0, 0), 1)
        cv2.putText(canvas, text, (x + swatch + pad, y + swatch - 1),
                    *font[:2], (0, 0, 0), font[2], cv2.LINE_AA)
    return canvas


def segment(source: Path, cfg, checkpoint: Path, out: Path,
            device: str = 'cpu', opacity: float = 0.5,
            labels: Optional[Path] = None,
            **runtime) -> Iterator[Tuple[Path, List[Path], list]]:
    """Segment every image of ``source`` (as displayed: OpenCV's colour
    flag) into the files of :func:`plan_outputs` with the model of ``cfg``
    (a ``Config``) and ``checkpoint`` (``runtime``: an exported model's
    ``backend`` and ``precision``); yield each image, files and legend."""
    plan = plan_outputs(source, out, labels)
    inferencer = Inferencer(cfg, checkpoint, device, **runtime)
    meta, visualizer = inferencer.model.dataset_meta, inferencer.visualizer
    visualizer.alpha = opacity
    names, palette = meta['classes'], meta['palette']
    dtype = np.uint8 if len(names) <= 255 else np.uint16
    for path, files in plan:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f'cannot decode image {path}')
        sample = inferencer(image, return_datasamples=True)
        prediction = sample.pred_sem_seg.data[0].cpu().numpy()
        entries = legend(prediction, names, palette)
        drawn = palette.copy()
        drawn[[e.label for e in entries]] = [e.color for e in entries]
        visualizer.set_dataset_meta(names, drawn.tolist())
        visualizer.add_datasample('overlay', image[..., ::-1], sample,
                                  draw_gt=False, with_labels=False)
        overlay = visualizer.get_image()[..., ::-1]
        for file, pixels in zip(files, (palette[prediction][..., ::-1],
                                        draw_legend(overlay, entries),
                                        prediction.astype(dtype))):
            if not mmcv.imwrite(pixels, str(file)):
                raise OSError(f'cannot write {file}')
        yield path, files, entries
