# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Build the suite's segmentors with random weights, as the benchmark
measures them (no checkpoint is downloaded), and the inputs it feeds them:
the demo photograph and a training batch."""
from pathlib import Path
from typing import Dict, Optional, Tuple

import mmcv
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.structures import SegDataSample
from mmseg_jpu.deploy.inference_network import load_segmentor
from mmseg_jpu.utils.config_loading import load_config


def build_segmentor(config: Path, overrides: Optional[Dict],
                    device: torch.device) -> Tuple[Config, nn.Module]:
    """The config with ``overrides`` merged in, and its model built by
    deploy's ``load_segmentor`` (SyncBN reverted) on ``device``, initialised
    by its ``init_weights`` without the pretrained backbone checkpoint."""
    cfg = load_config(str(config), overrides)
    cfg.model.backbone.pop('init_cfg', None)
    model = load_segmentor(cfg)
    model.init_weights()
    return cfg, model.to(device)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, inputs: Tensor) -> None:
    """Give every BN the statistics of the batch ``inputs``, then switch the
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
    model.decode_head(model.extract_feat(inputs))
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    model.eval()


def image_inputs(model: nn.Module, image: Path, batch: int,
                 size: Tuple[int, int]) -> Tensor:
    """The photograph ``image`` resized to ``size`` (height, width) and
    normalised by the model's data preprocessor, ``batch`` times."""
    pixels = mmcv.imresize(mmcv.imread(str(image)), size[::-1])
    tensor = torch.from_numpy(pixels.transpose(2, 0, 1).copy())
    return model.data_preprocessor(dict(inputs=[tensor] * batch))['inputs']


def training_batch(size: Tuple[int, int], batch: int,
                   num_classes: int) -> Dict:
    """Random uint8 images and labels, as a dataloader gives them to
    ``train_step``."""
    labels = [torch.randint(0, num_classes, (1, *size)) for _ in range(batch)]
    return dict(
        inputs=[torch.randint(0, 256, (3, *size), dtype=torch.uint8)
                for _ in range(batch)],
        data_samples=[SegDataSample(gt_sem_seg=PixelData(data=label))
                      for label in labels])
