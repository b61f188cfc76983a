# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""ONNX export, int8 quantisation and inference with ONNX Runtime or
OpenVINO, whose packages are imported only where used."""
from .exported_segmentor import ExportedSegmentor
from .inference_network import OUTPUTS, SegmentationLogits, load_segmentor
from .onnx_export import (ExportError, ExportResult, default_size,
                          export_onnx, export_segmentor, read_metadata)
from .quantization import calibration_inputs, quantize_onnx
from .runtimes import (BACKENDS, PRECISIONS, backend_for, check_backend,
                       load_runtime)

__all__ = [
    'BACKENDS', 'ExportError', 'ExportResult', 'ExportedSegmentor',
    'OUTPUTS', 'PRECISIONS', 'SegmentationLogits', 'backend_for',
    'calibration_inputs', 'check_backend', 'default_size', 'export_onnx',
    'export_segmentor', 'load_runtime', 'load_segmentor', 'quantize_onnx',
    'read_metadata'
]
