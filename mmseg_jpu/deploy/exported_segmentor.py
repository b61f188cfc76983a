# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""An exported ONNX file (or OpenVINO IR) as an mmseg segmentor: its
``encode_decode`` runs the file with ONNX Runtime or OpenVINO;
preprocessing (the config's ``SegDataPreProcessor``), whole-image and
sliding-window inference (``EncoderDecoder``'s) and post-processing
(``BaseSegmentor``'s: padding removed, resized to the image, argmax or the
head's threshold) are mmseg's own. ``mmseg.apis.inference_model``,
``MMSegInferencer`` and mmengine's ``Runner`` run it as they run the
PyTorch model of the config.

Files that end in probabilities or labels (``tools/export_onnx.py
--output``) are read back as mmseg's post-processing expects
(:func:`as_logits`): softmax probabilities as the logits (resizing and
window averaging are linear: the argmax is unchanged); labels one-hot, so
that where mmseg resizes (bilinearly) or averages windows, a pixel takes
the label with the largest interpolation weight among its neighbours':
nearest-neighbour resizing except at class boundaries, where the majority
of the neighbours may win; a one-class head's sigmoid or labels turned back
into logits for mmseg's sigmoid and ``threshold``.
"""
import json
from pathlib import Path
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from torch import Tensor

from mmseg.models import BaseSegmentor, EncoderDecoder
from mmseg.registry import DATASETS, MODELS
from ..datasets.dataset_check import leaf_datasets, listing
from .onnx_export import DATASET_META, OUTPUT, read_metadata
from .runtimes import load_runtime

#: ``torch.logit``'s clamp: a one-class head's labels 0 and 1 become
#: logits of -13.8 and 13.8, which mmseg's sigmoid and threshold read back
LOGIT_EPS = 1e-6


def as_logits(output: Tensor, kind: str, num_classes: int) -> Tensor:
    """The exported file's ``output`` of ``kind`` (``logits``,
    ``probabilities``, ``labels``) as scores mmseg's post-processing reads
    (see the module's docstring)."""
    if kind == 'labels' and num_classes > 1:
        output = F.one_hot(output[:, 0], num_classes).permute(0, 3, 1, 2)
    if kind != 'logits' and num_classes == 1:
        return torch.logit(output.float(), LOGIT_EPS)
    return output.float()


class ExportedSegmentor(BaseSegmentor):
    """The config's ``EncoderDecoder`` with an exported file in place of its
    network.

    Args:
        cfg (Config): The config the file was exported from.
        path (Path): The ONNX file (``tools/export_onnx.py``), or an
            OpenVINO IR (``tools/quantize.py``).
        backend (str): ``onnxruntime`` or ``openvino``.
        precision (str): ``fp32``, or ``bf16`` with OpenVINO.
        threads (int, optional): Threads per inference; ``None``: the
            backend's default.

    Attributes:
        dataset_meta (dict | None): The class names and palette stored in
            the file by ``tools/export_onnx.py``, if any.
        output (str): What the file ends in: ``logits``, ``probabilities``
            or ``labels``.

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
            # kept out of the modules: Runner moves the model to a device
            self._head = (MODELS.build(cfg.model.decode_head), )
        self.align_corners = self.decode_head.align_corners
        self.out_channels = self.decode_head.out_channels
        self.path = Path(path)
        self.runtime = load_runtime(path, backend, precision, threads)
        metadata = read_metadata(path)
        meta = metadata.get(DATASET_META)
        self.dataset_meta = json.loads(meta) if meta else None
        self.output = metadata.get(OUTPUT, 'logits')

    @property
    def decode_head(self) -> nn.Module:
        """The config's decode head, without weights (on the meta
        device)."""
        return self._head[0]

    def check_classes(self, dataset_cfg: dict) -> None:
        """Raise ``ValueError`` if the file names other classes than the
        dataset of ``dataset_cfg`` (its ``metainfo``, else its class's)."""
        stored = (self.dataset_meta or {}).get('classes')
        leaf = next(leaf_datasets(dataset_cfg))
        dataset = DATASETS.get(leaf.get('type'))
        classes = (leaf.get('metainfo') or {}).get('classes') or getattr(
            dataset, 'METAINFO', {}).get('classes')
        if stored and classes and list(stored) != list(classes):
            raise ValueError(
                f'{self.path.name} is not an export of this config: it '
                f'names the classes {listing(stored)}, the config\'s dataset '
                f'{listing(classes)}; pass the config the file was exported '
                'from')

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The file's logits for ``inputs`` (images or windows), or its
        probabilities or labels as :func:`as_logits` reads them.

        Raises:
            ValueError: If the file takes another size only, or gives
                another number of classes than the config's head.
        """
        size, fixed = tuple(inputs.shape[2:]), self.runtime.input_size
        if fixed is not None and size != fixed:
            what = 'a window' if self.test_cfg.mode == 'slide' else 'the image'
            raise ValueError(
                f'the ONNX file takes {fixed[0]}x{fixed[1]} inputs only (it '
                f'was exported at a fixed size) but {what} is {size[0]}x'
                f'{size[1]} after preprocessing; export it with dynamic '
                'sizes, or at this size')
        output = torch.from_numpy(self.runtime(inputs.cpu().numpy()))
        channels = 1 if self.output == 'labels' else self.out_channels
        if output.ndim != 4 or output.shape[1] != channels or (
                self.output == 'labels'
                and output.max() >= max(self.out_channels, 2)):
            raise ValueError(
                f'{self.path.name} is not an export of this config: it gives '
                f'{self.output} of shape {tuple(output.shape)}, the config\'s '
                f'head {self.out_channels} classes; pass the config the file '
                'was exported from')
        return as_logits(output, self.output, self.out_channels).to(
            inputs.device)

    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        return self.encode_decode(inputs, [])

    def extract_feat(self, inputs: Tensor):
        raise NotImplementedError('an exported file gives logits only')

    def loss(self, inputs: Tensor, data_samples):
        raise NotImplementedError('an exported file cannot be trained')
