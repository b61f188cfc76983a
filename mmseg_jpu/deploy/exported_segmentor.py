# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""An exported file as an mmseg segmentor."""
import json
from pathlib import Path
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from torch import Tensor

from mmseg.models import BaseSegmentor, EncoderDecoder
from mmseg.registry import DATASETS, MODELS
from ..datasets.dataset_check import leaf_datasets
from ..utils.listing import listing
from .onnx_export import DATASET_META, FIXED_SIZE, OUTPUT, read_metadata
from .runtimes import load_runtime


def as_logits(output: Tensor, kind: str, num_classes: int) -> Tensor:
    """A file's ``output`` of ``kind`` as scores for mmseg's
    post-processing: labels one-hot; for one class, logits."""
    if kind == 'labels' and num_classes > 1:
        output = F.one_hot(output[:, 0], num_classes).permute(0, 3, 1, 2)
    if kind != 'logits' and num_classes == 1:
        return torch.logit(output.float(), 1e-6)  # labels: -13.8, 13.8
    return output.float()


class ExportedSegmentor(EncoderDecoder):
    """The config's ``EncoderDecoder`` whose ``encode_decode`` runs an
    exported file; the rest is mmseg's (it has no backbone or heads).

    Args:
        cfg (Config): The config the file was exported from.
        path (Path): The ONNX file, or an OpenVINO IR.
        backend (str): ``onnxruntime`` or ``openvino``.
        precision (str): ``fp32``, or ``bf16`` with OpenVINO.

    Attributes:
        dataset_meta (dict | None): The file's class names and palette.
        output (str): What the file ends in (see ``OUTPUTS``).
    """

    def __init__(self,
                 cfg: Config,
                 path: Path,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32'):
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        BaseSegmentor.__init__(
            self, data_preprocessor=cfg.model.data_preprocessor)
        self.cfg = cfg  # inference_model reads its test_pipeline
        self.test_cfg = ConfigDict(
            {'mode': 'whole', **(cfg.model.get('test_cfg') or {})})
        with torch.device('meta'):  # the head's settings, not its weights
            # a tuple keeps it out of the modules that Runner moves
            self._head = (MODELS.build(cfg.model.decode_head), )
        self.align_corners = self.decode_head.align_corners
        self.out_channels = self.decode_head.out_channels
        self.path = Path(path)
        self.runtime = load_runtime(path, backend, precision)
        metadata = read_metadata(path)
        meta = metadata.get(DATASET_META)
        self.dataset_meta = json.loads(meta) if meta else None
        self.output = metadata.get(OUTPUT, 'logits')
        fixed = metadata.get(FIXED_SIZE)
        self.fixed_size = fixed and tuple(map(int, fixed.split('x')))

    @property
    def decode_head(self) -> nn.Module:
        return self._head[0]

    def _not_an_export(self, what: str):
        return ValueError(
            f'{self.path.name} is not an export of this config: {what}; '
            'pass the config the file was exported from')

    def check_classes(self, dataset_cfg: dict) -> None:
        """Raise ``ValueError`` if the file names other classes."""
        leaf = next(leaf_datasets(dataset_cfg))
        classes = (leaf.get('metainfo') or {}).get('classes') or getattr(
            DATASETS.get(leaf.get('type')), 'METAINFO', {}).get('classes')
        stored = (self.dataset_meta or {}).get('classes')
        if stored and classes and list(stored) != list(classes):
            raise self._not_an_export(
                f'it names the classes {listing(stored)}, the config\'s '
                f'dataset {listing(classes)}')

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The file's output for ``inputs`` :math:`(N, 3, H, W)` as logits
        :math:`(N, K, H, W)`; ``ValueError`` for a file of another size or
        number of classes."""
        size, fixed = tuple(inputs.shape[2:]), self.fixed_size
        if fixed and size != fixed:
            what = 'a window' if self.test_cfg.mode == 'slide' else 'the image'
            raise ValueError(
                f'the ONNX file takes {fixed[0]}x{fixed[1]} inputs only but '
                f'{what} is {size[0]}x{size[1]} after preprocessing; export '
                'it with dynamic sizes, or at this size')
        output = torch.from_numpy(self.runtime(inputs.cpu().numpy()))
        labels = self.output == 'labels'
        if output.shape[1] != (1 if labels else self.out_channels) or (
                labels and output.max() >= max(self.out_channels, 2)):
            raise self._not_an_export(
                f'it gives {self.output} of shape {tuple(output.shape)}, the '
                f'config\'s head {self.out_channels} classes')
        return as_logits(output, self.output,
                         self.out_channels).to(inputs.device)
