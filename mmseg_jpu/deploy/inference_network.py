# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The network that is exported and benchmarked."""
import copy
from pathlib import Path
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from torch import Tensor

from mmseg.apis import init_model
from ..checkpoint import load_weights_only
from ..utils.config_loading import load_config
from ..utils.listing import listing

#: what an exported network can end in
OUTPUTS = ('logits', 'probabilities', 'labels')


def final_output(logits: Tensor, output: str, threshold: float) -> Tensor:
    """``logits`` :math:`(N, K, H, W)` as softmax (K = 1: sigmoid)
    probabilities or :math:`(N, 1, H, W)` int64 labels."""
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
    the final resize) as a module ending in ``output`` (:func:`final_output`).

    Args:
        segmentor (nn.Module): An mmseg ``EncoderDecoder``.
        output (str): One of :data:`OUTPUTS`.

    Shape:
        - Input: :math:`(N, 3, H, W)`, normalised as the segmentor's data
          preprocessor does.
        - Output: :math:`(N, K, H, W)`; labels :math:`(N, 1, H, W)`.
    """

    def __init__(self, segmentor: nn.Module, output: str = 'logits'):
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f'output must be one of {OUTPUTS}: {output!r}')
        self.segmentor = segmentor
        self.output = output

    def forward(self, inputs: Tensor) -> Tensor:
        size = tuple(inputs.shape[-2:])
        metas = [dict(img_shape=size, pad_shape=size)] * len(inputs)
        logits = self.segmentor.encode_decode(inputs, metas)
        threshold = getattr(self.segmentor.decode_head, 'threshold', None)
        return final_output(logits, self.output, threshold)


def load_segmentor(config: Union[str, Path, Config],
                   checkpoint: Optional[Union[str, Path]] = None
                   ) -> nn.Module:
    """The config's segmentor for the CPU in eval mode with the
    checkpoint's weights and ``dataset_meta`` (else random weights);
    ``ValueError`` if the checkpoint's keys do not match."""
    cfg = (copy.deepcopy(config) if isinstance(config, Config) else
           load_config(config))  # init_model edits it
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
        segmentor.dataset_meta = loaded.get('meta', {}).get('dataset_meta')
    return segmentor.eval()
