# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""How the benchmark runs a model: ``fp32`` (eager), eager options joined
with ``+``, or a runtime of ``mmseg_jpu.deploy`` running the ONNX export."""
import argparse
import copy
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import fuse_conv_bn
from torch import Tensor

from mmseg_jpu.deploy.quantization import quantize_onnx
from mmseg_jpu.deploy.runtimes import (NO_BF16, import_deploy_package,
                                       load_runtime, openvino_runs_bf16)
from mmseg_jpu.utils.package_files import DEMO_IMAGE, MIM_ROOT

PLAIN = 'fp32'
EAGER_OPTIONS = ('bn_fold', 'channels_last', 'bf16', 'fp16', 'compile')
AUTOCAST_DTYPES = {'bf16': 'bfloat16', 'fp16': 'float16'}
#: runtime option -> backend and precision of ``load_runtime``, dtype
RUNTIMES = {
    'onnxruntime': ('onnxruntime', 'fp32', 'float32'),
    'openvino': ('openvino', 'fp32', 'float32'),
    'openvino_bf16': ('openvino', 'bf16', 'bfloat16'),
    'openvino_int8': ('openvino', 'fp32', 'int8'),
}
INT8 = 'openvino_int8'
CPU_DEFAULTS = (PLAIN, 'bn_fold+channels_last', 'bf16', 'onnxruntime',
                'openvino', 'openvino_bf16', INT8)
CUDA_DEFAULTS = (PLAIN, 'bn_fold', 'channels_last', 'bf16', 'fp16',
                 'compile', 'bn_fold+channels_last+fp16+compile')


def inference_option(text: str) -> str:
    """``text`` if it is an inference option; an ``argparse`` type."""
    parts = set(text.split('+'))
    if not (text in (PLAIN, *RUNTIMES) or parts <= set(EAGER_OPTIONS) and
            len(parts & set(AUTOCAST_DTYPES)) < 2):
        raise argparse.ArgumentTypeError(
            f'invalid inference option {text!r}: choose {PLAIN}, one of '
            f'{", ".join(RUNTIMES)} alone, or a "+"-joined combination of '
            f'{", ".join(EAGER_OPTIONS)} with at most one of bf16 and fp16')
    return text


def compute_dtype(option: str) -> str:
    """The dtype the convolutions run in under ``option``."""
    if option in RUNTIMES:
        return RUNTIMES[option][2]
    return next((AUTOCAST_DTYPES[p] for p in option.split('+')
                 if p in AUTOCAST_DTYPES), 'float32')


def choose(options: Optional[Sequence[str]],
           device: torch.device) -> Tuple[List[str], Dict[str, str]]:
    """``fp32`` and ``options`` (default: the device's) that this machine
    can run, and why it cannot run the others."""
    defaults = CUDA_DEFAULTS if device.type == 'cuda' else CPU_DEFAULTS
    chosen, skipped = [], {}
    for option in dict.fromkeys([PLAIN, *(options or defaults)]):
        backend, precision, dtype = RUNTIMES.get(option, ('', '', ''))
        try:
            for package in [backend] * bool(backend) + ['nncf'] * (
                    dtype == 'int8'):
                import_deploy_package(package)
            if precision == 'bf16' and not openvino_runs_bf16():
                raise ValueError(NO_BF16)
            chosen.append(option)
        except (ModuleNotFoundError, ValueError) as error:
            skipped[option] = str(error)
    return chosen, skipped


def calibration_images() -> List[Path]:
    """The demo photograph and tiny datasets' images int8 calibrates on."""
    tiny = MIM_ROOT / 'data' / 'tiny'
    return [DEMO_IMAGE, *sorted(tiny.rglob('*.jpg')),
            *sorted(tiny.rglob('*_leftImg8bit.png'))]


def prepare(model: nn.Module,
            option: str,
            device: torch.device,
            onnx_file: Optional[Path] = None,
            threads: Optional[int] = None,
            calibration: Sequence[Tensor] = ()) -> Callable[[Tensor], Tensor]:
    """``model`` run with ``option`` as a callable ``(N, 3, H, W) -> (N, K,
    H, W)`` float32; runtimes run ``onnx_file`` with ``threads``, int8
    calibrated on ``calibration`` (network inputs)."""
    model.eval()
    if option in RUNTIMES:
        if option == INT8:
            onnx_file = quantize_onnx(
                onnx_file, [inputs.cpu().numpy() for inputs in calibration],
                Path(onnx_file).with_suffix('.int8.xml'))
        runtime = load_runtime(onnx_file, *RUNTIMES[option][:2], threads)
        return lambda inputs: torch.from_numpy(runtime(inputs.cpu().numpy()))
    parts = option.split('+')
    if {'bn_fold', 'channels_last'} & set(parts):
        model = copy.deepcopy(model)
    if 'bn_fold' in parts:
        fuse_conv_bn(model)
    memory_format = torch.contiguous_format
    if 'channels_last' in parts:
        memory_format = torch.channels_last
        model = model.to(memory_format=memory_format)
    forward = torch.compile(model) if 'compile' in parts else model
    dtype = compute_dtype(option)

    def run(inputs: Tensor) -> Tensor:
        with torch.no_grad(), torch.autocast(
                device.type, getattr(torch, dtype), dtype != 'float32'):
            return forward(
                inputs.contiguous(memory_format=memory_format)).float()

    return run
