# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Run an exported ONNX file on the CPU with ONNX Runtime or OpenVINO, or
an OpenVINO IR (``.xml``, e.g. the int8 model of ``tools/quantize.py``)
with OpenVINO.

Backends and precisions:

- ``onnxruntime``, ``fp32``: ONNX Runtime's CPU execution provider, all
  graph optimisations; the same arithmetic as PyTorch up to rounding.
- ``openvino``, ``fp32``: OpenVINO's CPU plugin with
  ``INFERENCE_PRECISION_HINT=f32``.
- ``openvino``, ``bf16``: the same with ``INFERENCE_PRECISION_HINT=bf16``:
  convolutions and matrix products in bfloat16 (8 bits of mantissa), fast on
  CPUs with AVX-512 BF16 or AMX. Refused on CPUs that OpenVINO says cannot
  run bf16, rather than silently running fp32.

An int8 IR runs its quantised layers in int8 whatever the precision; the
precision applies to the layers left in floating point.
"""
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple

import numpy as np

BACKENDS = ('onnxruntime', 'openvino')
PRECISIONS = ('fp32', 'bf16')
#: backend -> precisions it can run
SUPPORTED = {'onnxruntime': ('fp32', ), 'openvino': ('fp32', 'bf16')}
OPENVINO_PRECISIONS = {'fp32': 'f32', 'bf16': 'bf16'}


@dataclass
class Runtime:
    """An ONNX file loaded by a backend.

    Attributes:
        backend: ``onnxruntime`` or ``openvino``.
        precision: ``fp32`` or ``bf16``.
        input_size: (height, width) the file requires, ``None`` when its
            height and width are dynamic.
        run: ``(N, 3, H, W) float32 -> (N, K, H, W) float32`` logits.
    """
    backend: str
    precision: str
    input_size: Optional[Tuple[int, int]]
    run: Callable[[np.ndarray], np.ndarray]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return self.run(np.ascontiguousarray(inputs, dtype=np.float32))


def import_deploy_package(name: str):
    """Import one of the packages of ``requirements/deploy.txt``.

    Raises:
        ModuleNotFoundError: Saying how to install it, if it is missing.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f'{name} is not installed; install the deployment packages: '
            "pip install -r requirements/deploy.txt (or 'mmseg_jpu[deploy]')"
        ) from error


def check_backend(backend: str, precision: str) -> None:
    """Raise ``ValueError`` for an unknown backend or precision, or a
    precision the backend does not run."""
    if backend not in SUPPORTED:
        raise ValueError(f'unknown backend {backend!r}: choose one of '
                         f'{", ".join(BACKENDS)}')
    if precision not in PRECISIONS:
        raise ValueError(f'unknown precision {precision!r}: choose one of '
                         f'{", ".join(PRECISIONS)}')
    if precision not in SUPPORTED[backend]:
        raise ValueError(
            f'{backend} runs {", ".join(SUPPORTED[backend])} only; for '
            f'{precision} use --backend openvino')


def backend_for(path: Path, backend: Optional[str] = None) -> str:
    """``backend``, by default ``openvino`` for an OpenVINO IR (``.xml``)
    and ``onnxruntime`` for an ONNX file.

    Raises:
        ValueError: For an IR and another backend than OpenVINO.
    """
    is_ir = Path(path).suffix == '.xml'
    backend = backend or ('openvino' if is_ir else 'onnxruntime')
    if is_ir and backend != 'openvino':
        raise ValueError(f'{path} is an OpenVINO IR, which only --backend '
                         'openvino reads')
    return backend


def _fixed_size(shape) -> Optional[Tuple[int, int]]:
    height, width = shape[2], shape[3]
    if isinstance(height, int) and isinstance(width, int):
        return height, width
    return None


def _onnxruntime(path: Path, threads: Optional[int]) -> Runtime:
    onnxruntime = import_deploy_package('onnxruntime')
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = (
        onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL)
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(path), options, providers=['CPUExecutionProvider'])
    model_input = session.get_inputs()[0]
    output_name = session.get_outputs()[0].name

    def run(inputs):
        return session.run([output_name], {model_input.name: inputs})[0]

    return Runtime('onnxruntime', 'fp32', _fixed_size(model_input.shape), run)


def _openvino(path: Path, precision: str, threads: Optional[int]) -> Runtime:
    openvino = import_deploy_package('openvino')
    core = openvino.Core()
    capabilities = core.get_property('CPU', 'OPTIMIZATION_CAPABILITIES')
    if precision == 'bf16' and 'BF16' not in capabilities:
        raise ValueError(
            'OpenVINO cannot run bf16 on this CPU (its capabilities: '
            f'{", ".join(capabilities)}); bf16 needs AVX-512 BF16 or AMX: '
            'use --precision fp32')
    config = {
        'INFERENCE_PRECISION_HINT': OPENVINO_PRECISIONS[precision],
        'PERFORMANCE_HINT': 'LATENCY',
    }
    if threads:
        config['INFERENCE_NUM_THREADS'] = threads
    model = core.read_model(str(path))
    compiled = core.compile_model(model, 'CPU', config)
    request = compiled.create_infer_request()
    shape = model.inputs[0].get_partial_shape()
    fixed = None if shape.is_dynamic else tuple(shape.to_shape())[2:]

    def run(inputs):
        return request.infer({0: inputs})[0].copy()

    return Runtime('openvino', precision, fixed, run)


def load_runtime(path: Path,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 threads: Optional[int] = None) -> Runtime:
    """Load the ONNX file (or OpenVINO IR) ``path`` for inference on the
    CPU.

    Args:
        threads: Threads for one inference; ``None``: the backend's default
            (all cores).

    Raises:
        ValueError: For a combination :func:`check_backend` refuses, bf16
            on a CPU without bf16 support, or an IR with ONNX Runtime.
        FileNotFoundError: If ``path`` is not a file.
    """
    check_backend(backend, precision)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'model file not found: {path}')
    backend_for(path, backend)
    if backend == 'onnxruntime':
        return _onnxruntime(path, threads)
    return _openvino(path, precision, threads)
