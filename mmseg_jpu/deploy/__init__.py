# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Deployment: export a segmentor's inference network to ONNX
(:mod:`.onnx_export`, ``tools/export_onnx.py``), quantise it to int8
(:mod:`.quantization`, ``tools/quantize.py``), and segment images with the
file through ONNX Runtime or OpenVINO in mmseg's own inference
(:mod:`.exported_segmentor`, ``tools/infer.py``, ``tools/test_deployed.py``).

Needs the packages of ``requirements/deploy.txt``
(``pip install mmseg_jpu[deploy]``); importing this package does not import
them, the functions that use them do.
"""
from .exported_segmentor import ExportedSegmentor
from .inference_network import OUTPUTS, SegmentationLogits, load_segmentor
from .onnx_export import (ExportError, ExportResult, default_size,
                          export_onnx, export_segmentor)
from .quantization import calibration_inputs, quantize_onnx
from .runtimes import BACKENDS, PRECISIONS, Runtime, load_runtime

__all__ = [
    'BACKENDS', 'ExportError', 'ExportResult', 'ExportedSegmentor',
    'OUTPUTS', 'PRECISIONS', 'Runtime', 'SegmentationLogits',
    'calibration_inputs', 'default_size', 'export_onnx', 'export_segmentor',
    'load_runtime', 'load_segmentor', 'quantize_onnx'
]
