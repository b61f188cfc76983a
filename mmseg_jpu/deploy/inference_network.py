# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The network that is exported and benchmarked: a segmentor's
``encode_decode`` as a module, ``normalised image -> logits at its size``,
or the probabilities or class labels computed from them.
"""
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

#: what an exported network can end in
OUTPUTS = ('logits', 'probabilities', 'labels')


def final_output(logits: Tensor, output: str, threshold: float) -> Tensor:
    """``logits`` :math:`(N, K, H, W)` as ``output`` (:data:`OUTPUTS`), the
    way mmseg's post-processing reads them: softmax probabilities over the
    K classes, or the argmax as :math:`(N, 1, H, W)` int64 labels; for a
    one-class head (K = 1) the sigmoid, or the sigmoid above the head's
    ``threshold`` (labels 0 and 1)."""
    if output == 'logits':
        return logits
    if logits.shape[1] == 1:
        probabilities = logits.sigmoid()
        if output == 'probabilities':
            return probabilities
        return (probabilities > threshold).long()
    if output == 'probabilities':
        return logits.softmax(1)
    return logits.argmax(1, keepdim=True)


class SegmentationLogits(nn.Module):
    """``inputs -> seg_logits`` at the input size: the segmentor's
    ``encode_decode`` (backbone, neck, decode head and the final resize).
    Whole-image inference is one call; sliding-window inference calls it
    once per window.

    Args:
        segmentor (nn.Module): An mmseg ``EncoderDecoder``.
        output (str): ``logits``, or ``probabilities`` or ``labels``
            computed from them (:func:`final_output`).

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
        height, width = inputs.shape[-2:]
        metas = [dict(img_shape=(height, width), pad_shape=(height, width))
                 ] * inputs.shape[0]
        logits = self.segmentor.encode_decode(inputs, metas)
        head = self.segmentor.decode_head
        return final_output(logits, self.output, getattr(head, 'threshold',
                                                         None))


def load_segmentor(config: Union[str, Path, Config],
                   checkpoint: Optional[Union[str, Path]] = None
                   ) -> nn.Module:
    """The config's ``EncoderDecoder`` in eval mode on the CPU, SyncBN
    reverted to BN, with the checkpoint's weights (loaded with
    ``weights_only=True`` and strictly: every key of the model must be in
    the file and every key of the file in the model) or, without one, the
    random weights the model is built with. The checkpoint's dataset meta
    (class names and palette), if it has one, is kept as ``dataset_meta``.

    Raises:
        ValueError: If the config's segmentor is not an ``EncoderDecoder``,
            or the checkpoint's keys do not match the model's.
    """
    cfg = (copy.deepcopy(config) if isinstance(config, Config) else
           load_config(config))  # init_model edits it
    if cfg.model.get('type') != 'EncoderDecoder':
        raise ValueError(f'model.type is {cfg.model.get("type")!r}: only '
                         'EncoderDecoder segmentors can be exported')
    segmentor = revert_sync_batchnorm(init_model(cfg, None, device='cpu'))
    if checkpoint is not None:
        loaded = load_weights_only(checkpoint, map_location='cpu')
        state = loaded.get('state_dict', loaded)
        result = segmentor.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(
                f'{checkpoint} does not match the config\'s model: '
                f'missing {_some(result.missing_keys)}, unexpected '
                f'{_some(result.unexpected_keys)}; pass the config the '
                'checkpoint was trained with')
        meta = loaded.get('meta', {}) if 'state_dict' in loaded else {}
        segmentor.dataset_meta = meta.get('dataset_meta')
    return segmentor.eval()


def _some(keys) -> str:
    if not keys:
        return 'none'
    more = f' and {len(keys) - 3} more' if len(keys) > 3 else ''
    return ', '.join(keys[:3]) + more
