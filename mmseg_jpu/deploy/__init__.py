# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Deployment: export a segmentor's inference network to ONNX
(:mod:`.onnx_export`, ``tools/export_onnx.py``) and segment images with the
file through ONNX Runtime or OpenVINO exactly as mmseg does with the
PyTorch model (:mod:`.exported_segmentor`, ``tools/infer.py``).

Needs the packages of ``requirements/deploy.txt``
(``pip install mmseg_jpu[deploy]``); importing this package does not import
them, the functions that use them do.
"""
from .exported_segmentor import ExportedSegmentor, Segmentation
from .inference_network import SegmentationLogits, load_segmentor
from .onnx_export import ExportError, ExportResult, export_onnx
from .runtimes import BACKENDS, PRECISIONS, Runtime, load_runtime

__all__ = [
    'BACKENDS', 'ExportError', 'ExportResult', 'ExportedSegmentor',
    'PRECISIONS', 'Runtime', 'Segmentation', 'SegmentationLogits',
    'export_onnx', 'load_runtime', 'load_segmentor'
]
