# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export to ONNX, int8 quantisation, and mmseg inference with the file
through ONNX Runtime or OpenVINO. The packages of
``requirements/deploy.txt`` are imported by the functions that use them."""
from .exported_segmentor import ExportedSegmentor
from .inference_network import OUTPUTS, SegmentationLogits, load_segmentor
from .onnx_export import (ExportError, ExportResult, default_size,
                          export_onnx, export_segmentor, read_metadata)
from .quantization import calibration_inputs, quantize_onnx
from .runtimes import (BACKENDS, PRECISIONS, Runtime, backend_for,
                       check_backend, load_runtime)

__all__ = [
    'BACKENDS', 'ExportError', 'ExportResult', 'ExportedSegmentor',
    'OUTPUTS', 'PRECISIONS', 'Runtime', 'SegmentationLogits', 'backend_for',
    'calibration_inputs', 'check_backend', 'default_size', 'export_onnx',
    'export_segmentor', 'load_runtime', 'load_segmentor', 'quantize_onnx',
    'read_metadata'
]
