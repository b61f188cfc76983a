# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment images with an exported ONNX file as mmseg segments them with
the PyTorch model: the config's test-time preprocessing, whole-image or
sliding-window inference (``model.test_cfg``), the padding removed and the
logits resized to the image's size, then argmax.

The sliding window follows ``EncoderDecoder.slide_inference``: windows of
``crop_size`` every ``stride`` pixels, the last ones moved back inside the
image, smaller windows where the image is smaller than the crop, and the
window logits averaged where windows overlap.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import Tensor

from .runtimes import load_runtime
from .test_time_preprocessing import TestTimePreprocessing

MODES = ('whole', 'slide')


@dataclass
class Segmentation:
    """One image's result, at the image's size.

    Attributes:
        logits: :math:`(K, H_0, W_0)` float32 (after a sigmoid when
            :math:`K = 1`, as mmseg gives them).
        mask: :math:`(H_0, W_0)` int64 class indices.
    """
    logits: Tensor
    mask: Tensor


class ExportedSegmentor:
    """An ONNX file run like the config's segmentor.

    Args:
        cfg (Config): The config the file was exported from.
        path (Path): The ONNX file (``tools/export_onnx.py``).
        backend (str): ``onnxruntime`` or ``openvino``.
        precision (str): ``fp32``, or ``bf16`` with OpenVINO.
        threads (int, optional): Threads per inference; ``None``: the
            backend's default.

    Raises:
        ValueError: For a test mode other than whole/slide, or a
            backend/precision :func:`~.runtimes.load_runtime` refuses.
    """

    def __init__(self,
                 cfg: Config,
                 path: Path,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 threads: Optional[int] = None):
        test_cfg = cfg.model.get('test_cfg') or {}
        self.mode = test_cfg.get('mode', 'whole')
        if self.mode not in MODES:
            raise ValueError(f'model.test_cfg.mode is {self.mode!r}: choose '
                             f'one of {", ".join(MODES)}')
        if self.mode == 'slide':
            self.crop_size = tuple(test_cfg.crop_size)
            self.stride = tuple(test_cfg.stride)
        decode_head = cfg.model.decode_head
        self.align_corners = decode_head.get('align_corners', False)
        self.threshold = decode_head.get('threshold') or 0.3  # mmseg's
        self.preprocess = TestTimePreprocessing(cfg)
        self.runtime = load_runtime(path, backend, precision, threads)

    def _logits(self, inputs: Tensor) -> Tensor:
        """The file's logits for ``inputs`` (one whole image or window)."""
        size = tuple(inputs.shape[2:])
        fixed = self.runtime.input_size
        if fixed is not None and size != fixed:
            raise ValueError(
                f'the ONNX file takes {fixed[0]}x{fixed[1]} inputs only (it '
                'was exported at a fixed size) but '
                f'{"a window" if self.mode == "slide" else "the image"} is '
                f'{size[0]}x{size[1]} after preprocessing; export it with '
                'dynamic sizes, or at this size')
        return torch.from_numpy(self.runtime(inputs.numpy()))

    def _slide(self, inputs: Tensor) -> Tensor:
        h_stride, w_stride = self.stride
        h_crop, w_crop = self.crop_size
        height, width = inputs.shape[2:]
        h_grids = max(height - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(width - w_crop + w_stride - 1, 0) // w_stride + 1
        logits, count = None, inputs.new_zeros((1, 1, height, width))
        for h_index in range(h_grids):
            for w_index in range(w_grids):
                y2 = min(h_index * h_stride + h_crop, height)
                x2 = min(w_index * w_stride + w_crop, width)
                y1, x1 = max(y2 - h_crop, 0), max(x2 - w_crop, 0)
                window = self._logits(inputs[:, :, y1:y2, x1:x2])
                padded = F.pad(window, (x1, width - x2, y1, height - y2))
                logits = padded if logits is None else logits + padded
                count[:, :, y1:y2, x1:x2] += 1
        return logits / count

    def _postprocess(self, logits: Tensor, meta: dict) -> Segmentation:
        """Remove the padding, resize to the original size, classify."""
        # mmseg's data preprocessor records test-time padding as
        # img_padding_size, stack_batch with data samples as padding_size
        left, right, top, bottom = meta.get(
            'img_padding_size', meta.get('padding_size', (0, 0, 0, 0)))
        height, width = logits.shape[2:]
        logits = logits[:, :, top:height - bottom, left:width - right]
        logits = F.interpolate(
            logits,
            size=tuple(meta['ori_shape'][:2]),
            mode='bilinear',
            align_corners=self.align_corners)[0]
        if logits.shape[0] > 1:
            return Segmentation(logits, logits.argmax(0))
        logits = logits.sigmoid()
        return Segmentation(logits, (logits[0] > self.threshold).long())

    def __call__(self, image: np.ndarray) -> Segmentation:
        """Segment one ``(H, W, 3)`` uint8 BGR image."""
        inputs, meta = self.preprocess(image)
        logits = (self._slide(inputs)
                  if self.mode == 'slide' else self._logits(inputs))
        return self._postprocess(logits, meta)

