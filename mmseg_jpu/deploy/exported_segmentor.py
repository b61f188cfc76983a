# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""An exported ONNX file as an mmseg segmentor: its ``encode_decode`` runs
the file with ONNX Runtime or OpenVINO; preprocessing (the config's
``SegDataPreProcessor``), whole-image and sliding-window inference
(``EncoderDecoder``'s) and post-processing (``BaseSegmentor``'s: padding
removed, resized to the image, argmax or the head's threshold) are mmseg's
own. ``mmseg.apis.inference_model`` and ``MMSegInferencer`` run it as they
run the PyTorch model of the config."""
import json
from pathlib import Path
from typing import List, Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from torch import Tensor

from mmseg.models import BaseSegmentor, EncoderDecoder
from mmseg.registry import MODELS
from .onnx_export import DATASET_META, read_metadata
from .runtimes import load_runtime


class ExportedSegmentor(BaseSegmentor):
    """The config's ``EncoderDecoder`` with an exported file in place of its
    network.

    Args:
        cfg (Config): The config the file was exported from.
        path (Path): The ONNX file (``tools/export_onnx.py``).
        backend (str): ``onnxruntime`` or ``openvino``.
        precision (str): ``fp32``, or ``bf16`` with OpenVINO.
        threads (int, optional): Threads per inference; ``None``: the
            backend's default.

    Attributes:
        dataset_meta (dict | None): The class names and palette stored in
            the file by ``tools/export_onnx.py``, if any.

    Raises:
        ValueError: For a backend/precision :func:`~.runtimes.load_runtime`
            refuses.
    """

    # mmseg's inference around encode_decode, as EncoderDecoder runs it
    predict = EncoderDecoder.predict
    inference = EncoderDecoder.inference
    whole_inference = EncoderDecoder.whole_inference
    slide_inference = EncoderDecoder.slide_inference

    def __init__(self,
                 cfg: Config,
                 path: Path,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 threads: Optional[int] = None):
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        super().__init__(data_preprocessor=cfg.model.data_preprocessor)
        self.cfg = cfg  # inference_model reads its test_pipeline
        self.test_cfg = ConfigDict(
            {'mode': 'whole', **(cfg.model.get('test_cfg') or {})})
        with torch.device('meta'):  # the head's settings, not its weights
            self.decode_head = MODELS.build(cfg.model.decode_head)
        self.align_corners = self.decode_head.align_corners
        self.out_channels = self.decode_head.out_channels
        self.runtime = load_runtime(path, backend, precision, threads)
        meta = read_metadata(path).get(DATASET_META)
        self.dataset_meta = json.loads(meta) if meta else None

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The file's logits for ``inputs`` (images or windows).

        Raises:
            ValueError: If the file takes another size only.
        """
        size, fixed = tuple(inputs.shape[2:]), self.runtime.input_size
        if fixed is not None and size != fixed:
            what = 'a window' if self.test_cfg.mode == 'slide' else 'the image'
            raise ValueError(
                f'the ONNX file takes {fixed[0]}x{fixed[1]} inputs only (it '
                f'was exported at a fixed size) but {what} is {size[0]}x'
                f'{size[1]} after preprocessing; export it with dynamic '
                'sizes, or at this size')
        return torch.from_numpy(self.runtime(inputs.numpy()))

    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        return self.encode_decode(inputs, [])

    def extract_feat(self, inputs: Tensor):
        raise NotImplementedError('an exported file gives logits only')

    def loss(self, inputs: Tensor, data_samples):
        raise NotImplementedError('an exported file cannot be trained')
