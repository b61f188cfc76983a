# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Build a zoo config's segmentor with random weights, as the benchmark
measures it (no checkpoint is downloaded)."""
from pathlib import Path
from typing import Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from torch import Tensor

from mmseg.registry import MODELS


def quiet_logging() -> None:
    """Keep mmengine's INFO messages (weight initialisation, optimizer
    settings) out of the report: only errors are logged from now on."""
    MMLogger.get_instance('mmseg_jpu_benchmark', log_level='ERROR')


def load_config(config: Path) -> Config:
    """The config with its pretrained backbone checkpoint removed."""
    cfg = Config.fromfile(str(config))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.pretrained = None
    return cfg


def build_segmentor(cfg: Config, device: torch.device) -> nn.Module:
    """The config's model, initialised by its ``init_weights`` (kaiming
    convs), SyncBN reverted to BN, on ``device``."""
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    return model.to(device)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, size: Tuple[int, int],
                        device: torch.device, batch: int = 2) -> None:
    """Give every BN the statistics of one random batch, then switch the
    model to eval mode.

    Freshly initialised BNs (mean 0, variance 1) let activations grow through
    a deep residual network, which would make reduced-precision comparisons
    meaningless; calibrated BNs keep them at the scale of a trained model.
    """
    norms = [m for m in model.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the calibration
    model.train()
    inputs = torch.randn(batch, 3, *size, device=device)
    model.decode_head(model.extract_feat(inputs))
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    model.eval()


class SegmentationLogits(nn.Module):
    """``inputs -> seg_logits`` at the input size: the segmentor's
    ``encode_decode`` (backbone, neck, decode head and the final resize), the
    network that the benchmark times.

    Args:
        segmentor (nn.Module): An mmseg ``EncoderDecoder``.

    Shape:
        - Input: :math:`(N, 3, H, W)`, normalised.
        - Output: :math:`(N, K, H, W)`.
    """

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, inputs: Tensor) -> Tensor:
        height, width = inputs.shape[-2:]
        metas = [dict(img_shape=(height, width), pad_shape=(height, width))
                 ] * inputs.shape[0]
        return self.segmentor.encode_decode(inputs, metas)
