# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Run an exported ONNX file or OpenVINO IR on the CPU."""
import importlib
from pathlib import Path
from typing import Callable, Optional

import numpy as np

BACKENDS = ('onnxruntime', 'openvino')
PRECISIONS = ('fp32', 'bf16')
NO_BF16 = 'OpenVINO cannot run bf16 on this CPU (it needs AVX-512 BF16 or AMX)'


def import_deploy_package(name: str):
    """Import a package of ``requirements/deploy.txt``, or say how to."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f'{name} is not installed; install the deployment packages: '
            "pip install -r requirements/deploy.txt (or 'mmseg_jpu[deploy]')"
        ) from error


def check_backend(backend: str, precision: str) -> None:
    """Raise ``ValueError`` for a combination that does not run."""
    if backend not in BACKENDS or precision not in PRECISIONS:
        raise ValueError(f'unknown backend {backend!r} or precision '
                         f'{precision!r}: see BACKENDS and PRECISIONS')
    if backend == 'onnxruntime' and precision != 'fp32':
        raise ValueError(f'onnxruntime runs fp32 only; for {precision} use '
                         '--backend openvino')


def backend_for(path: Path, backend: Optional[str] = None) -> str:
    """``backend``, by default ``openvino`` for an IR (``.xml``), else
    ``onnxruntime``; ``ValueError`` for an IR with ``onnxruntime``."""
    is_ir = Path(path).suffix == '.xml'
    backend = backend or ('openvino' if is_ir else 'onnxruntime')
    if is_ir and backend != 'openvino':
        raise ValueError(f'{path} is an OpenVINO IR, which only --backend '
                         'openvino reads')
    return backend


def openvino_runs_bf16(core=None) -> bool:
    """Whether OpenVINO runs bf16 on this CPU (``core``: an
    ``openvino.Core``, by default a new one)."""
    core = core or import_deploy_package('openvino').Core()
    return 'BF16' in core.get_property('CPU', 'OPTIMIZATION_CAPABILITIES')


def _onnxruntime(path: Path, precision: str, threads: Optional[int]):
    onnxruntime = import_deploy_package('onnxruntime')
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = onnxruntime.InferenceSession(
        str(path), options, providers=['CPUExecutionProvider'])
    return lambda inputs: session.run(None, {'inputs': inputs})[0]


def _openvino(path: Path, precision: str, threads: Optional[int]):
    core = import_deploy_package('openvino').Core()
    if precision == 'bf16' and not openvino_runs_bf16(core):
        raise ValueError(f'{NO_BF16}: use --precision fp32')
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
                 threads: Optional[int] = None
                 ) -> Callable[[np.ndarray], np.ndarray]:
    """``path`` loaded for inference on the CPU with ``threads``
    (default: the backend's); ``ValueError`` for a refused combination."""
    check_backend(backend_for(path, backend), precision)
    run = dict(onnxruntime=_onnxruntime, openvino=_openvino)[backend](
        path, precision, threads)
    return lambda inputs: run(np.ascontiguousarray(inputs, np.float32))
