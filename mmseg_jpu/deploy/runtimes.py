# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Run an exported ONNX file, or an OpenVINO IR (``.xml``, e.g. the int8
model of ``tools/quantize.py``), on the CPU: ONNX Runtime in fp32 (all graph
optimisations), or OpenVINO with ``INFERENCE_PRECISION_HINT`` f32 or bf16
(refused on CPUs that OpenVINO says cannot run bf16, rather than silently
running fp32). An int8 IR runs its quantised layers in int8 whatever the
precision."""
import importlib
from pathlib import Path
from typing import Callable, Optional

import numpy as np

BACKENDS = ('onnxruntime', 'openvino')
PRECISIONS = ('fp32', 'bf16')

#: ``(N, 3, H, W) float32 array -> (N, C, H, W) array``
Runtime = Callable[[np.ndarray], np.ndarray]


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
    if backend not in BACKENDS:
        raise ValueError(f'unknown backend {backend!r}: choose one of '
                         f'{", ".join(BACKENDS)}')
    if precision not in PRECISIONS:
        raise ValueError(f'unknown precision {precision!r}: choose one of '
                         f'{", ".join(PRECISIONS)}')
    if backend == 'onnxruntime' and precision != 'fp32':
        raise ValueError(f'onnxruntime runs fp32 only; for {precision} use '
                         '--backend openvino')


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


def _onnxruntime(path: Path, precision: str, threads: Optional[int]):
    onnxruntime = import_deploy_package('onnxruntime')
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = onnxruntime.InferenceSession(
        str(path), options, providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    return lambda inputs: session.run(None, {name: inputs})[0]


def _openvino(path: Path, precision: str, threads: Optional[int]):
    openvino = import_deploy_package('openvino')
    core = openvino.Core()
    capabilities = core.get_property('CPU', 'OPTIMIZATION_CAPABILITIES')
    if precision == 'bf16' and 'BF16' not in capabilities:
        raise ValueError(
            'OpenVINO cannot run bf16 on this CPU (its capabilities: '
            f'{", ".join(capabilities)}); bf16 needs AVX-512 BF16 or AMX: '
            'use --precision fp32')
    config = dict(INFERENCE_PRECISION_HINT=precision.replace('fp', 'f'),
                  PERFORMANCE_HINT='LATENCY')
    if threads:
        config['INFERENCE_NUM_THREADS'] = threads
    request = core.compile_model(str(path), 'CPU',
                                 config).create_infer_request()
    return lambda inputs: request.infer({0: inputs})[0].copy()


def load_runtime(path: Path,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 threads: Optional[int] = None) -> Runtime:
    """The ONNX file (or OpenVINO IR) ``path`` loaded for inference on the
    CPU, with ``threads`` per inference (``None``: the backend's default).

    Raises:
        ValueError: For a combination :func:`check_backend` or
            :func:`backend_for` refuses, or bf16 on a CPU without it.
        FileNotFoundError: If ``path`` is not a file.
    """
    check_backend(backend, precision)
    if not Path(path).is_file():
        raise FileNotFoundError(f'model file not found: {path}')
    backend_for(path, backend)
    run = (_onnxruntime if backend == 'onnxruntime' else _openvino)(
        path, precision, threads)
    return lambda inputs: run(np.ascontiguousarray(inputs, np.float32))
