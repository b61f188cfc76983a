# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The network that is exported and benchmarked: a segmentor's
``encode_decode`` as a module, ``normalised image -> logits at its size``,
or the probabilities or class labels computed from them."""
import copy
from pathlib import Path
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from torch import Tensor

from mmseg.apis import init_model
from ..checkpoint import load_weights_only
from ..utils.listing import listing
from ..utils.config_loading import load_config

#: what an exported network can end in
OUTPUTS = ('logits', 'probabilities', 'labels')


def final_output(logits: Tensor, output: str, threshold: float) -> Tensor:
    """``logits`` :math:`(N, K, H, W)` as ``output`` (:data:`OUTPUTS`):
    softmax probabilities, or the argmax as :math:`(N, 1, H, W)` int64
    labels; for K = 1 the sigmoid, or the sigmoid above ``threshold``."""
    if output == 'logits':
        return logits
    if logits.shape[1] == 1:
        probabilities = logits.sigmoid()
        return (probabilities if output == 'probabilities' else
                (probabilities > threshold).long())
    if output == 'probabilities':
        return logits.softmax(1)
    return logits.argmax(1, keepdim=True)


class SegmentationLogits(nn.Module):
    """The segmentor's ``encode_decode`` (backbone, neck, decode head and
    the final resize) as a module, ending in ``output`` (see
    :func:`final_output`).

    Args:
        segmentor (nn.Module): An mmseg ``EncoderDecoder``.
        output (str): ``logits``, ``probabilities`` or ``labels``.

    Shape:
        - Input: :math:`(N, 3, H, W)`, normalised as the segmentor's data
          preprocessor does.
        - Output: :math:`(N, K, H, W)`; labels :math:`(N, 1, H, W)`.
    """

    def __init__(self, segmentor: nn.Module, output: str = 'logits'):
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f'unknown output {output!r}: choose one of '
                             f'{", ".join(OUTPUTS)}')
        self.segmentor = segmentor
        self.output = output

    def forward(self, inputs: Tensor) -> Tensor:
        size = tuple(inputs.shape[-2:])
        metas = [dict(img_shape=size, pad_shape=size)] * len(inputs)
        logits = self.segmentor.encode_decode(inputs, metas)
        return final_output(logits, self.output,
                            getattr(self.segmentor.decode_head, 'threshold',
                                    None))


def load_segmentor(config: Union[str, Path, Config],
                   checkpoint: Optional[Union[str, Path]] = None
                   ) -> nn.Module:
    """The config's ``EncoderDecoder`` in eval mode on the CPU, SyncBN
    reverted to BN, with the checkpoint's weights (loaded weights-only and
    strictly), else its initial random weights; the checkpoint's
    ``dataset_meta`` is kept as ``dataset_meta``.

    Raises:
        ValueError: If the segmentor is not an ``EncoderDecoder``, or the
            checkpoint's keys do not match the model's.
    """
    cfg = (copy.deepcopy(config) if isinstance(config, Config) else
           load_config(config))  # init_model edits it
    if cfg.model.get('type') != 'EncoderDecoder':
        raise ValueError(f'model.type is {cfg.model.get("type")!r}: only '
                         'EncoderDecoder segmentors can be exported')
    segmentor = revert_sync_batchnorm(init_model(cfg, None, device='cpu'))
    if checkpoint is not None:
        loaded = load_weights_only(checkpoint, map_location='cpu')
        result = segmentor.load_state_dict(
            loaded.get('state_dict', loaded), strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(
                f'{checkpoint} does not match the config\'s model: missing '
                f'{listing(result.missing_keys or ["none"], 3)}, unexpected '
                f'{listing(result.unexpected_keys or ["none"], 3)}; pass the '
                'config the checkpoint was trained with')
        meta = loaded.get('meta', {}) if 'state_dict' in loaded else {}
        segmentor.dataset_meta = meta.get('dataset_meta')
    return segmentor.eval()
