# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""How the benchmark runs a model: ``fp32`` (the plain eager model), eager
options joined with ``+`` (``bn_fold``: mmcv's ``fuse_conv_bn``,
``channels_last``, ``bf16``/``fp16`` autocast, ``compile``), or a runtime of
``mmseg_jpu.deploy`` running the exported ONNX file, which stands alone."""
import copy
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import fuse_conv_bn
from torch import Tensor

from mmseg_jpu.deploy.quantization import quantize_onnx
from mmseg_jpu.deploy.runtimes import import_deploy_package, load_runtime
from mmseg_jpu.utils.package_files import DEMO_IMAGE, MIM_ROOT

PLAIN = 'fp32'
EAGER_OPTIONS = ('bn_fold', 'channels_last', 'bf16', 'fp16', 'compile')
AUTOCAST_DTYPES = {'bf16': 'bfloat16', 'fp16': 'float16'}
#: runtime option -> (backend, precision) of ``load_runtime``, dtype
RUNTIMES = {
    'onnxruntime': ('onnxruntime', 'fp32', 'float32'),
    'openvino': ('openvino', 'fp32', 'float32'),
    'openvino_bf16': ('openvino', 'bf16', 'bfloat16'),
    'openvino_int8': ('openvino', 'fp32', 'int8'),  # its int8 layers
}
INT8 = 'openvino_int8'
CPU_DEFAULTS = (PLAIN, 'bn_fold+channels_last', 'bf16', 'onnxruntime',
                'openvino', 'openvino_bf16', INT8)
CUDA_DEFAULTS = (PLAIN, 'bn_fold', 'channels_last', 'bf16', 'fp16',
                 'compile', 'bn_fold+channels_last+fp16+compile')


def parse_option(option: str) -> List[str]:
    """The parts of ``option`` (``[]`` for ``fp32``).

    Raises:
        ValueError: For an unknown part, both bf16 and fp16, or a runtime
            combined with anything.
    """
    parts = [] if option == PLAIN else option.split('+')
    runtimes = [p for p in parts if p in RUNTIMES]
    if runtimes and len(parts) > 1:
        raise ValueError(f'{option!r}: {runtimes[0]} runs the exported file '
                         'and combines with nothing')
    unknown = [p for p in parts if p not in EAGER_OPTIONS + tuple(RUNTIMES)]
    if unknown:
        raise ValueError(
            f'unknown inference option {"+".join(unknown)!r} in {option!r}: '
            f'choose {PLAIN!r}, one of {", ".join(RUNTIMES)}, or a '
            f'"+"-joined combination of {", ".join(EAGER_OPTIONS)}')
    if len(set(parts) & set(AUTOCAST_DTYPES)) > 1:
        raise ValueError(f'{option!r}: bf16 and fp16 exclude each other')
    return parts


def is_runtime(option: str) -> bool:
    """Whether ``option`` runs the exported ONNX file."""
    return option in RUNTIMES


def compute_dtype(option: str) -> str:
    """The dtype the convolutions run in under ``option``."""
    if is_runtime(option):
        return RUNTIMES[option][2]
    return next((AUTOCAST_DTYPES[p] for p in parse_option(option)
                 if p in AUTOCAST_DTYPES), 'float32')


def openvino_capabilities() -> List[str]:
    """OpenVINO's ``OPTIMIZATION_CAPABILITIES`` of this CPU."""
    core = import_deploy_package('openvino').Core()
    return list(core.get_property('CPU', 'OPTIMIZATION_CAPABILITIES'))


def unavailable(option: str) -> Optional[str]:
    """Why this machine cannot run ``option``, or ``None`` if it can."""
    if not is_runtime(option):
        return None
    backend, precision, _ = RUNTIMES[option]
    try:
        for package in [backend] + (['nncf'] if option == INT8 else []):
            import_deploy_package(package)
    except ModuleNotFoundError as error:
        return str(error)
    capabilities = openvino_capabilities() if precision == 'bf16' else []
    if precision == 'bf16' and 'BF16' not in capabilities:
        return ('OpenVINO cannot run bf16 on this CPU (it needs AVX-512 BF16 '
                f'or AMX; its capabilities: {", ".join(capabilities)})')
    return None


def choose(options: Sequence[str],
           device: torch.device) -> Tuple[List[str], Dict[str, str]]:
    """``fp32`` and ``options`` (default: the device's defaults) that this
    machine can run, and why it cannot run the others."""
    defaults = CUDA_DEFAULTS if device.type == 'cuda' else CPU_DEFAULTS
    reasons = {o: unavailable(o) for o in [PLAIN, *(options or defaults)]}
    return ([o for o, reason in reasons.items() if not reason],
            {o: reason for o, reason in reasons.items() if reason})


def calibration_images() -> List[Path]:
    """The images ``openvino_int8`` is calibrated on: the demo photograph
    and the bundled tiny datasets' images (not their label maps)."""
    tiny = MIM_ROOT / 'data' / 'tiny'
    return [DEMO_IMAGE, *sorted(tiny.rglob('*.jpg')),
            *sorted(tiny.rglob('*_leftImg8bit.png'))]


def _eager(model: nn.Module, parts: List[str],
           device: torch.device) -> Callable[[Tensor], Tensor]:
    if {'bn_fold', 'channels_last'} & set(parts):
        model = copy.deepcopy(model)
    if 'bn_fold' in parts:
        fuse_conv_bn(model)
    memory_format = torch.contiguous_format
    if 'channels_last' in parts:
        memory_format = torch.channels_last
        model = model.to(memory_format=memory_format)
    forward = torch.compile(model) if 'compile' in parts else model
    dtype = next((getattr(torch, AUTOCAST_DTYPES[p]) for p in parts
                  if p in AUTOCAST_DTYPES), None)

    def run(inputs: Tensor) -> Tensor:
        with torch.no_grad(), torch.autocast(
                device.type, dtype=dtype, enabled=dtype is not None):
            return forward(
                inputs.contiguous(memory_format=memory_format)).float()

    return run


def prepare(model: nn.Module,
            option: str,
            device: torch.device,
            onnx_file: Optional[Path] = None,
            threads: Optional[int] = None,
            calibration: Sequence[Tensor] = ()) -> Callable[[Tensor], Tensor]:
    """A callable ``(N, 3, H, W) -> (N, K, H, W) float32 logits`` running
    ``model`` (in eval mode; options that change it change a copy) with
    ``option``.

    Args:
        onnx_file: The model exported to ONNX (runtime options only).
        threads: Threads of the runtime (runtime options only).
        calibration: The network's inputs ``openvino_int8`` is calibrated
            on; its IR is written beside ``onnx_file``.
    """
    model.eval()
    if not is_runtime(option):
        return _eager(model, parse_option(option), device)
    if option == INT8:
        onnx_file = quantize_onnx(
            onnx_file, [inputs.cpu().numpy() for inputs in calibration],
            Path(onnx_file).with_suffix('.int8.xml'))
    runtime = load_runtime(onnx_file, *RUNTIMES[option][:2], threads)
    return lambda inputs: torch.from_numpy(runtime(inputs.cpu().numpy()))
