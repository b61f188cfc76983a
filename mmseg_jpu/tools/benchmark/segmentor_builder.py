# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The suite's segmentors with random weights, and their inputs."""
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
    """The config with ``overrides`` and its randomly initialised model
    (no pretrained backbone, SyncBN reverted) on ``device``."""
    cfg = load_config(str(config), overrides)
    cfg.model.backbone.pop('init_cfg', None)
    model = load_segmentor(cfg)
    model.init_weights()
    return cfg, model.to(device)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, inputs: Tensor) -> None:
    """Set every BN's statistics to those of ``inputs``, then eval mode, so
    that activations keep a trained model's scale."""
    update_bn([inputs], model)
    model.eval()


def image_inputs(model: nn.Module, image: Path, batch: int,
                 size: Tuple[int, int]) -> Tensor:
    """``(batch, 3, H, W)``: ``image`` resized to ``size`` (H, W) and
    normalised by the model's data preprocessor."""
    pixels = mmcv.imresize(mmcv.imread(str(image)), size[::-1])
    tensor = torch.from_numpy(pixels.transpose(2, 0, 1).copy())
    return model.data_preprocessor(dict(inputs=[tensor] * batch))['inputs']


def train_step(cfg: Config, model: nn.Module, size: Tuple[int, int],
               batch: int) -> Callable[[], Dict]:
    """One ``train_step`` of ``model`` with the config's optimizer on a
    random batch of uint8 images and labels of ``size`` (H, W)."""
    model.train()
    model.data_preprocessor.size = tuple(size)
    labels = torch.randint(0, model.decode_head.num_classes, (batch, 1, *size))
    data = dict(
        inputs=list(torch.randint(0, 256, (batch, 3, *size),
                                  dtype=torch.uint8)),
        data_samples=[SegDataSample(gt_sem_seg=PixelData(data=label))
                      for label in labels])
    return functools.partial(model.train_step, data,
                             build_optim_wrapper(model, cfg.optim_wrapper))
