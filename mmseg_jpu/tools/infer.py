# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment images with mmseg's ``MMSegInferencer``, from a checkpoint or an
exported ONNX file or OpenVINO IR
(:class:`~mmseg_jpu.deploy.ExportedSegmentor`, ONNX Runtime or OpenVINO), and write, per image, a colour mask, an overlay
(``SegLocalVisualizer``'s) with a legend beside it (the classes present,
their colours and shares of the pixels) and, if asked, the class-index mask.

Class-index masks are PNGs of the model's class indices (0 to
``num_classes - 1``, as the model predicts them, not a dataset's on-disk
encoding): uint8 for models of up to 255 classes, uint16 above, so that 255
never names a predicted class.
"""
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
import torch.nn as nn
from mmengine.config import Config
from mmengine.utils import scandir

from mmseg.apis import MMSegInferencer
from ..deploy import ExportedSegmentor
from ..utils.config_loading import load_config

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: the suffixes of exported models, run by a deployment runtime: ONNX
#: files, and OpenVINO IRs (``tools/quantize.py``)
EXPORTED_SUFFIXES = ('.onnx', '.xml')
#: the largest class count whose indices are written as uint8 PNGs.
MAX_UINT8_CLASSES = 255
#: CIE76 colour difference (Lab) under which two legend swatches are hard to
#: tell apart (Pascal Context's person and grass: 2.2, road and car: 6.0,
#: sofa and curtain: 14.6; Cityscapes' closest pair, fence and pole: 15.03)
MIN_COLOR_DIFFERENCE = 15
#: the colours a class too close to another is redrawn in
SPARE_COLORS = np.stack(
    np.meshgrid(*[np.arange(0, 256, 51)] * 3, indexing='ij'),
    -1).reshape(-1, 3).astype(np.uint8)
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
    """A class present in a prediction, as the overlay and legend draw it.

    Attributes:
        color: RGB drawn in the overlay and legend.
        palette_color: RGB of the palette (and the colour mask), when
            ``color`` replaces it because it is too close to another present
            class's; ``None`` otherwise.
    """
    label: int
    name: str
    color: Tuple[int, int, int]
    share: float  # of the image's pixels, 0 to 1
    palette_color: Optional[Tuple[int, int, int]] = None


@dataclass
class Segmented:
    """What :func:`segment` wrote for one image."""
    image: Path
    outputs: Outputs
    legend: List[LegendEntry]


class Inferencer(MMSegInferencer):
    """``MMSegInferencer`` that also runs exported models
    (:data:`EXPORTED_SUFFIXES`) and, when the
    weights name no classes for every class of the model, names them
    ``class N`` with fixed random colours.

    Args:
        cfg (Config): The model's config.
        weights (Path): A checkpoint, or a file of ``tools/export_onnx.py``
            or ``tools/quantize.py``.
        device (str): Device of a checkpoint's model.
        backend (str): Runtime of an exported file.
        precision (str): Precision of an exported file.
    """

    def __init__(self, cfg: Config, weights: Path, device: str = 'cpu',
                 backend: str = 'onnxruntime', precision: str = 'fp32'):
        self.runtime = dict(backend=backend, precision=precision)
        super().__init__(cfg, str(weights), device=device)
        # mmengine's switch (mmseg 1.2.2's constructor does not pass it on)
        self.show_progress = False

    def _init_model(self, cfg, weights, device) -> nn.Module:
        if Path(weights).suffix in EXPORTED_SUFFIXES:
            model = ExportedSegmentor(cfg, weights, **self.runtime)
        else:
            model = super()._init_model(cfg, weights, device)
        head = model.decode_head
        head = head[-1] if isinstance(head, nn.ModuleList) else head
        meta = model.dataset_meta or {}
        names = list(meta.get('classes') or ())
        palette = np.array(meta.get('palette') or (), np.uint8).reshape(-1, 3)
        if len(names) != head.num_classes or len(palette) < len(names):
            names = [f'class {i}' for i in range(head.num_classes)]
            palette = np.random.default_rng(0).integers(
                0, 256, (len(names), 3), dtype=np.uint8)
        model.dataset_meta = dict(classes=names, palette=palette[:len(names)])
        return model

    def _init_visualizer(self, cfg):
        cfg.visualizer.pop('vis_backends', None)  # draws; writes nothing
        return super()._init_visualizer(cfg)


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
        paths = sorted(source / name for name in scandir(
            source, IMAGE_SUFFIXES, case_sensitive=False))
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
    plan = [(image,
             Outputs(_output_path(source, out, image),
                     _output_path(source, out, image, '_overlay'),
                     _output_path(source, labels, image) if labels else None))
            for image in image_paths(source)]
    inputs = {image.resolve() for image, _ in plan}
    writers = {}
    for image, outputs in plan:
        for path in outputs.files():
            key = path.resolve()
            if key in inputs:
                raise ValueError(
                    f'{path} would overwrite an input image: write the '
                    'outputs into another folder')
            if writers.get(key) == image:
                raise ValueError(f'the mask and the class-index mask would '
                                 f'both be {path}: give --labels another '
                                 'path than --out')
            if key in writers:
                raise ValueError(
                    f'{writers[key]} and {image} would both write {path}: '
                    'rename one of them')
            writers[key] = image
    return plan


def read_bgr(path: Path) -> np.ndarray:
    """8-bit BGR pixels as the image is displayed, read with OpenCV's colour
    flag: grayscale is expanded to three channels, alpha is dropped, 16-bit
    values are scaled to 8 bits and the EXIF orientation of a JPEG is
    applied (the mask then has the rotated size)."""
    try:
        image = mmcv.imread(str(path), flag='color', backend='cv2')
    except cv2.error:  # e.g. an empty file
        image = None
    if image is None:
        raise ValueError(f'cannot decode image {path}')
    return image


def label_dtype(num_classes: int) -> type:
    """uint8 for up to 255 classes, uint16 above."""
    return np.uint8 if num_classes <= MAX_UINT8_CLASSES else np.uint16


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab of ``(N, 3)`` uint8 RGB colours."""
    return cv2.cvtColor(rgb[None].astype(np.float32) / 255,
                        cv2.COLOR_RGB2Lab)[0]


def distinguishable(colors: np.ndarray) -> np.ndarray:
    """``colors`` (``(N, 3)`` RGB, the first the most important) with each
    colour closer than :data:`MIN_COLOR_DIFFERENCE` to an earlier one
    replaced by the spare colour farthest from all the others."""
    colors, lab, spare = colors.copy(), _lab(colors), _lab(SPARE_COLORS)
    for i in range(1, len(colors)):
        if np.linalg.norm(lab[:i] - lab[i], axis=1).min() >= (
                MIN_COLOR_DIFFERENCE):
            continue
        others = np.delete(lab, i, axis=0)
        best = np.linalg.norm(spare[:, None] - others[None], axis=2).min(
            1).argmax()
        colors[i], lab[i] = SPARE_COLORS[best], spare[best]
    return colors


def legend(prediction: np.ndarray, names: Sequence[str],
           palette: np.ndarray) -> List[LegendEntry]:
    """The classes present in ``prediction``, most pixels first, in colours
    a person can tell apart (:func:`distinguishable`)."""
    counts = np.bincount(prediction.ravel(), minlength=len(names))
    order = sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], i))
    colors = distinguishable(palette[order])
    return [
        LegendEntry(
            int(i), names[i], tuple(int(c) for c in color),
            counts[i] / prediction.size,
            None if (color == palette[i]).all() else tuple(
                int(c) for c in palette[i]))
        for i, color in zip(order, colors)
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


def _overlay(inferencer: Inferencer, image: np.ndarray, sample,
             entries: Sequence[LegendEntry], opacity: float) -> np.ndarray:
    """The BGR image under the mask in the legend's colours, drawn by the
    inferencer's ``SegLocalVisualizer``."""
    meta = inferencer.model.dataset_meta
    palette = meta['palette'].copy()
    for entry in entries:
        palette[entry.label] = entry.color
    visualizer = inferencer.visualizer
    visualizer.set_dataset_meta(meta['classes'], palette.tolist())
    visualizer.alpha = opacity
    visualizer.add_datasample(
        'overlay', image[..., ::-1], sample, draw_gt=False,
        with_labels=False)
    return visualizer.get_image()[..., ::-1]


def _write(path: Path, pixels: np.ndarray) -> None:
    if not mmcv.imwrite(pixels, str(path)):
        raise OSError(f'cannot write {path}')


def segment(source: Path,
            cfg: Union[Config, str],
            checkpoint: Path,
            out: Path,
            device: str = 'cpu',
            opacity: float = 0.5,
            labels: Optional[Path] = None,
            backend: str = 'onnxruntime',
            precision: str = 'fp32') -> Iterator[Segmented]:
    """Segment every image of ``source`` (see :func:`plan_outputs` for the
    files written); yield what was written for each. ``cfg`` is a config
    or a file (or ``mmseg::path``) to load. An exported ``checkpoint``
    (``.onnx``, ``.xml``) runs with ``backend`` in ``precision`` on the CPU,
    any other with PyTorch on ``device``."""
    plan = plan_outputs(source, out, labels)
    if not isinstance(cfg, Config):
        cfg = load_config(cfg)
    inferencer = Inferencer(cfg, checkpoint, device, backend, precision)
    names = inferencer.model.dataset_meta['classes']
    palette = inferencer.model.dataset_meta['palette']
    for path, outputs in plan:
        image = read_bgr(path)
        sample = inferencer(image, return_datasamples=True)
        prediction = sample.pred_sem_seg.data[0].cpu().numpy()
        entries = legend(prediction, names, palette)
        overlay = _overlay(inferencer, image, sample, entries, opacity)
        _write(outputs.mask, palette[prediction][..., ::-1])
        _write(outputs.overlay, draw_legend(overlay, entries))
        if outputs.labels:
            _write(outputs.labels, prediction.astype(label_dtype(len(names))))
        yield Segmented(path, outputs, entries)
