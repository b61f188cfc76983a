# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Deployment: export a segmentor's inference network to ONNX
(:mod:`.onnx_export`, ``tools/export_onnx.py``) and segment images with the
file through ONNX Runtime or OpenVINO in mmseg's own inference
(:mod:`.exported_segmentor`, ``tools/infer.py``).

Needs the packages of ``requirements/deploy.txt``
(``pip install mmseg_jpu[deploy]``); importing this package does not import
them, the functions that use them do.
"""
from .exported_segmentor import ExportedSegmentor
from .inference_network import SegmentationLogits, load_segmentor
from .onnx_export import (ExportError, ExportResult, default_size,
                          export_onnx, export_segmentor)
from .runtimes import BACKENDS, PRECISIONS, Runtime, load_runtime

__all__ = [
    'BACKENDS', 'ExportError', 'ExportResult', 'ExportedSegmentor',
    'PRECISIONS', 'Runtime', 'SegmentationLogits', 'default_size',
    'export_onnx', 'export_segmentor', 'load_runtime', 'load_segmentor'
]
