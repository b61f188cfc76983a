# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment images with mmseg's inference API (a ``.pth`` checkpoint) or
from an exported ONNX file with ONNX Runtime or OpenVINO and the same
test-time preprocessing (:mod:`mmseg_jpu.deploy`), and write, per image, a
colour mask, an overlay with a legend beside it (the classes present, their
colours and shares of the pixels) and, if asked, the class-index mask.

Class-index masks are PNGs of the model's class indices (0 to
``num_classes - 1``, as the model predicts them, not a dataset's on-disk
encoding): uint8 for models of up to 255 classes, uint16 above, so that 255
never names a predicted class.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config

from mmseg.apis import inference_model, init_model
from ..deploy.exported_segmentor import ExportedSegmentor
from ..deploy.onnx_export import DATASET_META, read_metadata

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: the suffix of exported models, run by a deployment runtime
ONNX_SUFFIX = '.onnx'
#: the largest class count whose indices are written as uint8 PNGs.
MAX_UINT8_CLASSES = 255
LEGEND_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass
class Outputs:
    """The files written for one image."""
    mask: Path
    overlay: Path
    labels: Optional[Path] = None

    def files(self) -> List[Path]:
        return [p for p in (self.mask, self.overlay, self.labels) if p]


@dataclass
class LegendEntry:
    """A class present in a prediction."""
    label: int
    name: str
    color: Tuple[int, int, int]  # RGB
    share: float  # of the image's pixels, 0 to 1


@dataclass
class Segmented:
    """What :func:`segment` wrote for one image."""
    image: Path
    outputs: Outputs
    legend: List[LegendEntry]


def writes_into_folder(source, out) -> bool:
    """Whether ``out`` is a folder to write ``<name>.png`` files into (the
    source is a folder, or ``out`` is an existing folder or ends with a
    path separator) rather than the file to write."""
    return (Path(source).is_dir() or Path(out).is_dir()
            or str(out).endswith(('/', os.sep)))


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


def _output_path(source, out, image: Path, tag: str = '') -> Path:
    out = Path(out)
    if writes_into_folder(source, out):
        return out / f'{image.stem}{tag}.png'
    return out.with_name(f'{out.stem}{tag}{out.suffix}')


def plan_outputs(source, out, labels=None) -> List[Tuple[Path, Outputs]]:
    """Each image with the files it writes: ``OUT`` and ``OUT_overlay`` for
    one image (or ``OUT/<name>.png`` and ``OUT/<name>_overlay.png`` when
    writing into a folder), ``LABELS`` (or ``LABELS/<name>.png``).

    Raises:
        FileNotFoundError: If there is no image.
        ValueError: If an output would overwrite an input image or another
            output.
    """
    images = image_paths(source)
    plan = [(image,
             Outputs(
                 mask=_output_path(source, out, image),
                 overlay=_output_path(source, out, image, '_overlay'),
                 labels=_output_path(source, labels, image)
                 if labels else None)) for image in images]
    _check_no_overwrites(plan)
    return plan


def _check_no_overwrites(plan: Sequence[Tuple[Path, Outputs]]) -> None:
    inputs = {image.resolve() for image, _ in plan}
    writers = {}
    for image, outputs in plan:
        for path in outputs.files():
            key = path.resolve()
            if key in inputs:
                raise ValueError(
                    f'{path} would overwrite an input image: write the '
                    'outputs into another folder')
            if key in writers and writers[key] == image:
                raise ValueError(f'the mask and the class-index mask would '
                                 f'both be {path}: give --labels another '
                                 'path than --out')
            if key in writers:
                raise ValueError(
                    f'{writers[key]} and {image} would both write {path}: '
                    'rename one of them')
            writers[key] = image


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


def label_dtype(num_classes: int) -> type:
    """uint8 for up to 255 classes, uint16 above."""
    return np.uint8 if num_classes <= MAX_UINT8_CLASSES else np.uint16


def class_names_and_palette(model) -> Tuple[List[str], np.ndarray]:
    """The class names and RGB palette of the model's dataset meta, one per
    class of its decode head. If the meta names another number of classes
    (mmseg falls back to a dataset's with as many classes, or to
    Cityscapes'), the classes are ``class N`` with fixed random colours."""
    head = model.decode_head
    if isinstance(head, torch.nn.ModuleList):  # cascade segmentors
        head = head[-1]
    return _names_and_palette(head.num_classes,
                              getattr(model, 'dataset_meta', None) or {})


def _names_and_palette(num_classes: int,
                       meta: Dict) -> Tuple[List[str], np.ndarray]:
    names = [str(name) for name in meta.get('classes', ())]
    palette = np.array(meta.get('palette', ()), dtype=np.uint8).reshape(-1, 3)
    if len(names) == num_classes and len(palette) >= num_classes:
        return names, palette[:num_classes]
    return ([f'class {i}' for i in range(num_classes)],
            np.random.default_rng(0).integers(
                0, 256, (num_classes, 3), dtype=np.uint8))


def legend(prediction: np.ndarray, names: Sequence[str],
           palette: np.ndarray) -> List[LegendEntry]:
    """The classes present in ``prediction``, most pixels first."""
    counts = np.bincount(prediction.ravel(), minlength=len(names))
    order = sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], i))
    return [
        LegendEntry(
            label=int(i),
            name=names[i],
            color=tuple(int(c) for c in palette[i]),
            share=counts[i] / prediction.size) for i in order
    ]


def legend_text(entry: LegendEntry) -> str:
    return f'{entry.share:6.1%}  {entry.name}'


def draw_legend(overlay: np.ndarray,
                entries: Sequence[LegendEntry]) -> np.ndarray:
    """``overlay`` (BGR) with a white panel on its right listing each entry:
    a colour swatch, the share of pixels and the class name. Sizes grow
    with images taller than 512 pixels; the picture is extended downwards
    if the list is taller than it."""
    height, width = overlay.shape[:2]
    scale = max(1.0, height / 512)
    row, swatch, pad = (int(round(n * scale)) for n in (20, 14, 6))
    font_scale, thickness = 0.45 * scale, max(1, int(scale))
    texts = [legend_text(entry) for entry in entries]
    text_width = max(
        cv2.getTextSize(text, LEGEND_FONT, font_scale, thickness)[0][0]
        for text in texts)
    canvas = np.full((max(height, 2 * pad + row * len(entries)),
                      width + 3 * pad + swatch + text_width, 3),
                     255,
                     dtype=np.uint8)
    canvas[:height, :width] = overlay
    x = width + pad
    for i, (entry, text) in enumerate(zip(entries, texts)):
        y = pad + i * row
        canvas[y:y + swatch, x:x + swatch] = entry.color[::-1]
        cv2.rectangle(canvas, (x, y), (x + swatch - 1, y + swatch - 1),
                      (0, 0, 0), 1)
        cv2.putText(canvas, text, (x + swatch + pad, y + swatch - 1),
                    LEGEND_FONT, font_scale, (0, 0, 0), thickness,
                    cv2.LINE_AA)
    return canvas


def _write(path: Path, pixels: np.ndarray) -> None:
    if not mmcv.imwrite(pixels, str(path)):
        raise OSError(f'cannot write {path}')


Predictor = Callable[[np.ndarray], np.ndarray]


def _pytorch_predictor(config: Path, checkpoint: Path,
                       device: str) -> Tuple[Predictor, List[str],
                                             np.ndarray]:
    model = init_model(str(config), str(checkpoint), device=device)

    def predict(image):
        return inference_model(model,
                               image).pred_sem_seg.data[0].cpu().numpy()

    return predict, *class_names_and_palette(model)


def _onnx_predictor(config: Path, onnx_file: Path, backend: str,
                    precision: str) -> Tuple[Predictor, List[str],
                                             np.ndarray]:
    """The exported file run like the config's segmentor; class names and
    colours from the checkpoint it was exported with (``class N`` if it
    had none)."""
    cfg = Config.fromfile(str(config))
    segmentor = ExportedSegmentor(cfg, onnx_file, backend, precision)
    meta = json.loads(read_metadata(onnx_file).get(DATASET_META, '{}'))

    def predict(image):
        return segmentor(image).mask.numpy()

    return predict, *_names_and_palette(cfg.model.decode_head.num_classes,
                                        meta)


def segment(source: Path,
            config: Path,
            checkpoint: Path,
            out: Path,
            device: str = 'cpu',
            opacity: float = 0.5,
            labels: Optional[Path] = None,
            backend: str = 'onnxruntime',
            precision: str = 'fp32') -> Iterator[Segmented]:
    """Segment every image of ``source`` (see :func:`plan_outputs` for the
    files written); yield what was written for each. A ``.onnx``
    ``checkpoint`` runs with ``backend`` in ``precision`` on the CPU, any
    other with PyTorch on ``device``."""
    plan = plan_outputs(source, out, labels)
    if Path(checkpoint).suffix == ONNX_SUFFIX:
        predict, names, palette = _onnx_predictor(config, checkpoint,
                                                  backend, precision)
    else:
        predict, names, palette = _pytorch_predictor(config, checkpoint,
                                                     device)
    for path, outputs in plan:
        image = read_bgr(path)
        prediction = predict(image)
        mask = colorize(prediction, palette)
        entries = legend(prediction, names, palette)
        overlay = (image * (1 - opacity) + mask * opacity).astype(np.uint8)
        _write(outputs.mask, mask)
        _write(outputs.overlay, draw_legend(overlay, entries))
        if outputs.labels:
            _write(outputs.labels, prediction.astype(label_dtype(len(names))))
        yield Segmented(path, outputs, entries)
