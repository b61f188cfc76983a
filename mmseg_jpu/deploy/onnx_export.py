# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export a segmentation network to ONNX, checked against PyTorch."""
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config

from .adaptive_pooling import with_exportable_pooling
from .inference_network import SegmentationLogits, load_segmentor
from .runtimes import import_deploy_package, load_runtime

#: metadata keys: class names and palette (JSON), output kind, fixed HxW
DATASET_META, OUTPUT, FIXED_SIZE = 'dataset_meta', 'output', 'fixed_size'
#: largest :func:`compare` ``max_rel_diff`` of a good file
TOLERANCE = 1e-4


class ExportError(RuntimeError):
    """No file reproducing PyTorch could be exported; none was written."""


@dataclass
class ExportResult:
    """The file, and :func:`compare`'s figures at ``checked_size``;
    ``fixed_size_reason`` is ``None`` where height and width are dynamic."""
    path: Path
    traced_size: Tuple[int, int]
    fixed_size_reason: Optional[str]
    checked_size: Tuple[int, int]
    max_rel_diff: float
    argmax_agreement: float

    @property
    def dynamic(self) -> bool:
        return self.fixed_size_reason is None


def compare(output: np.ndarray,
            reference: np.ndarray,
            kind: str = 'logits') -> Dict[str, float]:
    """Largest absolute and relative differences of :math:`(N, K, H, W)`
    scores and the share of pixels with the same argmax; for labels
    :math:`(N, 1, H, W)` the differences are the share of other labels."""
    if kind == 'labels':
        agreement = float((output == reference).mean())
        return dict(max_abs_diff=1 - agreement, max_rel_diff=1 - agreement,
                    argmax_agreement=agreement)
    difference = float(np.abs(output - reference).max())
    return dict(
        max_abs_diff=difference,
        max_rel_diff=difference / max(float(np.abs(reference).max()), 1e-12),
        argmax_agreement=float(
            (output.argmax(1) == reference.argmax(1)).mean()))


def read_metadata(path: Path) -> Dict[str, str]:
    """The metadata of an exported ONNX file or of an IR made from it."""
    if Path(path).suffix == '.xml':
        info = import_deploy_package('openvino').Core().read_model(
            str(path)).get_rt_info()
        # 'mmseg_jpu': where earlier versions of quantize.py wrote it
        section = next((info[name] for name in ('framework', 'mmseg_jpu')
                        if name in info), {})
        return {key: value.astype(str) for key, value in section.items()}
    model = import_deploy_package('onnx').load(
        str(path), load_external_data=False)
    return {entry.key: entry.value for entry in model.metadata_props}


def _export_checked(network: nn.Module, path: Path, size: Tuple[int, int],
                    check_size: Tuple[int, int], tolerance: float,
                    dynamic: bool) -> Dict[str, float]:
    """Export ``network``; ``ExportError`` unless ONNX Runtime runs it
    within ``tolerance`` of it at ``check_size``."""
    kind = getattr(network, 'output', 'logits')
    axes = {0: 'batch', 2: 'height', 3: 'width'} if dynamic else {0: 'batch'}
    inputs = torch.randn(1, 3, *check_size,
                         generator=torch.Generator().manual_seed(0))
    try:  # the exporter and ONNX Runtime raise many types
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter('ignore')  # the check tells what matters
            torch.onnx.export(
                with_exportable_pooling(network), (torch.randn(1, 3, *size), ),
                str(path), dynamo=False, opset_version=17,
                input_names=['inputs'], output_names=[f'seg_{kind}'],
                dynamic_axes={'inputs': axes, f'seg_{kind}': axes})
            reference = network(inputs).numpy()
        output = load_runtime(path)(inputs.numpy())
    except Exception as error:
        raise ExportError(str(error).strip().partition('\n')[0])
    figures = compare(output, reference, kind)
    if figures['max_rel_diff'] > tolerance:
        raise ExportError(
            f'the graph differs from PyTorch at {check_size[0]}x'
            f'{check_size[1]} (largest relative difference '
            f'{figures["max_rel_diff"]:.1e} > {tolerance:.0e}, '
            f'{figures["argmax_agreement"]:.2%} of the pixels with the same '
            'class)')
    return figures


def export_onnx(network: nn.Module,
                path: Path,
                size: Tuple[int, int],
                check_size: Optional[Tuple[int, int]] = None,
                fixed_size: bool = False,
                tolerance: float = TOLERANCE,
                properties: Optional[Dict[str, str]] = None) -> ExportResult:
    """Export ``network`` (e.g. :class:`SegmentationLogits`) to ``path``,
    traced at ``size``, dynamic if it matches ``network`` at ``check_size``
    (default: 3/4 of the height + 3 by 5/4 of the width + 5), else (or with
    ``fixed_size``) for ``size`` only; ``properties``: extra metadata.

    Raises:
        ExportError: If no graph matches; ``path`` is left untouched.
    """
    path, size = Path(path), tuple(size)
    check_size = tuple(check_size or (size[0] * 3 // 4 + 3,
                                      size[1] * 5 // 4 + 5))
    network.eval()
    reason = 'a fixed size was asked for' if fixed_size else None
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        draft = Path(folder, path.name)
        if not fixed_size:
            try:
                figures = _export_checked(network, draft, size, check_size,
                                          tolerance, dynamic=True)
            except ExportError as error:
                reason = f'dynamic export failed: {error}'
        if reason:
            check_size = size
            figures = _export_checked(network, draft, size, size, tolerance,
                                      dynamic=False)
        onnx = import_deploy_package('onnx')
        model = onnx.load(str(draft))
        properties = dict(properties or {},
                          **{OUTPUT: getattr(network, 'output', 'logits')})
        if reason:
            properties[FIXED_SIZE] = f'{size[0]}x{size[1]}'
        onnx.helper.set_model_props(model, properties)
        onnx.save(model, str(draft))
        os.replace(draft, path)
    return ExportResult(path, size, reason, check_size,
                        figures['max_rel_diff'], figures['argmax_agreement'])


def default_size(cfg: Config) -> Tuple[int, int]:
    """The config's sliding window, else its data preprocessor's ``size``,
    else 512x512."""
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        return tuple(test_cfg.crop_size)
    return tuple(
        cfg.model.get('data_preprocessor', {}).get('size') or (512, 512))


def export_segmentor(cfg: Config,
                     checkpoint: Optional[Path],
                     path: Path,
                     size: Optional[Tuple[int, int]] = None,
                     output: str = 'logits',
                     **options) -> ExportResult:
    """:func:`export_onnx` of ``cfg``'s segmentor with ``checkpoint``'s
    weights and class names (else random weights)."""
    segmentor = load_segmentor(cfg, checkpoint)
    meta = getattr(segmentor, 'dataset_meta', None) or {}
    properties = {
        DATASET_META: json.dumps(
            dict(classes=meta['classes'], palette=meta.get('palette', [])),
            default=int)
    } if 'classes' in meta else {}
    return export_onnx(SegmentationLogits(segmentor, output), path, size
                       or default_size(cfg), properties=properties, **options)
