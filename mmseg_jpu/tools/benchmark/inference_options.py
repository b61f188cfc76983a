# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Inference options that change speed, not results: BN folded into the
convs, channels-last memory layout, bf16/fp16 autocast and
``torch.compile``. Options combine with ``+`` (``bn_fold+channels_last``);
``fp32`` is the plain eager model."""
import contextlib
import copy
from typing import Callable, Dict, List

import torch
import torch.nn as nn
from mmcv.cnn import fuse_conv_bn
from torch import Tensor

PLAIN = 'fp32'
OPTIONS = ('bn_fold', 'channels_last', 'bf16', 'fp16', 'compile')
AUTOCAST_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


def parse_option(option: str) -> List[str]:
    """The parts of ``option`` (``[]`` for ``fp32``).

    Raises:
        ValueError: For an unknown part, or both bf16 and fp16.
    """
    if option == PLAIN:
        return []
    parts = option.split('+')
    unknown = [p for p in parts if p not in OPTIONS]
    if unknown:
        raise ValueError(f'unknown inference option {"+".join(unknown)!r} in '
                         f'{option!r}: choose {PLAIN!r} or a "+"-joined '
                         f'combination of {", ".join(OPTIONS)}')
    if len(set(parts) & set(AUTOCAST_DTYPES)) > 1:
        raise ValueError(f'{option!r}: bf16 and fp16 exclude each other')
    return parts


def compute_dtype(option: str) -> str:
    """The dtype the convolutions run in under ``option``."""
    parts = parse_option(option)
    for part, dtype in AUTOCAST_DTYPES.items():
        if part in parts:
            return str(dtype).replace('torch.', '')
    return 'float32'


def prepare(model: nn.Module, option: str,
            device: torch.device) -> Callable[[Tensor], Tensor]:
    """A callable ``inputs -> float32 logits`` running a copy of ``model``
    (in eval mode) with ``option``; ``model`` itself is not changed."""
    parts = parse_option(option)
    model = copy.deepcopy(model).eval()
    if 'bn_fold' in parts:
        fuse_conv_bn(model)
    memory_format = torch.contiguous_format
    if 'channels_last' in parts:
        memory_format = torch.channels_last
        model = model.to(memory_format=memory_format)
    dtypes = [AUTOCAST_DTYPES[p] for p in parts if p in AUTOCAST_DTYPES]
    forward = torch.compile(model) if 'compile' in parts else model

    def run(inputs: Tensor) -> Tensor:
        autocast = (torch.autocast(device.type, dtype=dtypes[0])
                    if dtypes else contextlib.nullcontext())
        with torch.no_grad(), autocast:
            return forward(
                inputs.contiguous(memory_format=memory_format)).float()

    return run


def output_difference(output: Tensor, reference: Tensor) -> Dict[str, float]:
    """How far ``output`` is from the plain model's ``reference`` logits:
    the largest absolute difference, the same relative to the largest
    reference logit, and the share of pixels with the same predicted class.
    """
    difference = (output - reference).abs().max().item()
    same_class = output.argmax(1) == reference.argmax(1)
    return dict(
        max_abs_diff=difference,
        max_rel_diff=difference / max(reference.abs().max().item(), 1e-12),
        argmax_agreement=same_class.float().mean().item())
