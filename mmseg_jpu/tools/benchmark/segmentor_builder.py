# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The suite's segmentors with random weights (no checkpoint is
downloaded) and what the benchmark feeds them: the photograph, noise and a
training batch."""
import functools
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import mmcv
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from torch import Tensor
from torch.optim.swa_utils import update_bn

from mmseg.structures import SegDataSample
from mmseg_jpu.deploy.inference_network import load_segmentor
from mmseg_jpu.utils.config_loading import load_config


def build_segmentor(config: Path, overrides: Optional[Dict],
                    device: torch.device) -> Tuple[Config, nn.Module]:
    """The config with ``overrides`` merged in, and its model (SyncBN
    reverted) on ``device``, initialised by ``init_weights`` without the
    pretrained backbone checkpoint."""
    cfg = load_config(str(config), overrides)
    cfg.model.backbone.pop('init_cfg', None)
    model = load_segmentor(cfg)
    model.init_weights()
    return cfg, model.to(device)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, inputs: Tensor) -> None:
    """Give every BN the statistics of the batch ``inputs`` (torch's
    ``update_bn``), then switch the model to eval mode.

    Freshly initialised BNs (mean 0, variance 1) let activations grow through
    a deep residual network, which would make reduced-precision comparisons
    meaningless; calibrated BNs keep them at the scale of a trained model.
    """
    update_bn([inputs], model)
    model.eval()


def image_inputs(model: nn.Module, image: Path, batch: int,
                 size: Tuple[int, int]) -> Tensor:
    """``(batch, 3, *size)``: the photograph ``image`` resized to ``size``
    (height, width) and normalised by the model's data preprocessor."""
    pixels = mmcv.imresize(mmcv.imread(str(image)), size[::-1])
    tensor = torch.from_numpy(pixels.transpose(2, 0, 1).copy())
    return model.data_preprocessor(dict(inputs=[tensor] * batch))['inputs']


def train_step(cfg: Config, model: nn.Module, size: Tuple[int, int],
               batch: int) -> Callable[[], Dict]:
    """One ``train_step`` of ``model`` (forward, losses, backward, the
    config's optimizer step) on random uint8 images and labels of ``size``
    (height, width), as a dataloader gives them."""
    model.train()
    model.data_preprocessor.size = tuple(size)  # pad to this, not more
    labels = torch.randint(0, model.decode_head.num_classes, (batch, 1, *size))
    data = dict(
        inputs=list(torch.randint(0, 256, (batch, 3, *size),
                                  dtype=torch.uint8)),
        data_samples=[SegDataSample(gt_sem_seg=PixelData(data=label))
                      for label in labels])
    return functools.partial(model.train_step, data,
                             build_optim_wrapper(model, cfg.optim_wrapper))
