# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export a segmentation network to ONNX (``inputs`` :math:`(N, 3, H, W)`
to ``seg_<output>``), dynamic in batch, height and width where it allows,
and check the file against PyTorch with ONNX Runtime before keeping it."""
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

OPSET = 17
#: metadata keys: the checkpoint's dataset meta (JSON), the kind of output
DATASET_META, OUTPUT = 'dataset_meta', 'output'
#: the OpenVINO IR's ``rt_info`` section holding the metadata
RT_INFO_SECTION = 'mmseg_jpu'
#: traced size of configs that fix none (:func:`default_size`)
DEFAULT_SIZE = (512, 512)
#: largest difference (:func:`compare`'s ``max_rel_diff``) of a good file
TOLERANCE = 1e-4


class ExportError(RuntimeError):
    """No file reproducing PyTorch could be exported; none was written."""


@dataclass
class ExportResult:
    """What was written and how well it matches PyTorch.

    Attributes:
        path (Path): The ONNX file.
        traced_size (tuple[int, int]): (height, width) traced at.
        fixed_size_reason (str | None): Why the file takes ``traced_size``
            inputs only; ``None`` when height and width are dynamic.
        checked_size (tuple[int, int]): (height, width) of the check.
        max_rel_diff (float): :func:`compare`'s figure.
        argmax_agreement (float): Share of pixels with the same class.
    """
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
    """Largest absolute and relative (to the largest reference value)
    differences of :math:`(N, K, H, W)` logits or probabilities, and the
    share of pixels with the same argmax; for :math:`(N, 1, H, W)` labels,
    both differences are the share of pixels with another label."""
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
    """The metadata of an exported model: an ONNX file's
    ``metadata_props``, or an OpenVINO IR's ``rt_info`` section
    :data:`RT_INFO_SECTION`."""
    if Path(path).suffix == '.xml':
        model = import_deploy_package('openvino').Core().read_model(str(path))
        if not model.has_rt_info([RT_INFO_SECTION]):
            return {}
        section = model.get_rt_info()[RT_INFO_SECTION]
        return {key: value.astype(str) for key, value in section.items()}
    model = import_deploy_package('onnx').load(
        str(path), load_external_data=False)
    return {entry.key: entry.value for entry in model.metadata_props}


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _export_checked(network: nn.Module, path: Path, size: Tuple[int, int],
                    check_size: Optional[Tuple[int, int]],
                    opset: int) -> Dict[str, float]:
    """Export ``network`` (dynamic height and width if ``check_size`` is
    given, else fixed) and :func:`compare` the file's output at
    ``check_size`` (else ``size``) with ``network``'s.

    Raises:
        ExportError: If the exporter or ONNX Runtime fails.
    """
    kind = getattr(network, 'output', 'logits')
    axes = {0: 'batch', 2: 'height', 3: 'width'} if check_size else {
        0: 'batch'}
    check_size = check_size or size
    inputs = torch.randn(1, 3, *check_size,
                         generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings(), torch.no_grad():
        # the tracer's warnings on sizes used as Python numbers: the check
        # at another size tells whether they matter
        warnings.simplefilter('ignore')
        try:
            torch.onnx.export(
                with_exportable_pooling(network), (torch.randn(1, 3, *size), ),
                str(path), dynamo=False, opset_version=opset,
                input_names=['inputs'], output_names=[f'seg_{kind}'],
                dynamic_axes={'inputs': axes, f'seg_{kind}': axes})
        except Exception as error:  # the exporter raises many types
            raise ExportError(
                f'the exporter refused it: {_first_line(error)}') from error
        reference = network(inputs).numpy()
    try:
        output = load_runtime(path)(inputs.numpy())
    except Exception as error:  # ONNX Runtime's errors have no common type
        raise ExportError(
            f'ONNX Runtime cannot run the file at {check_size[0]}x'
            f'{check_size[1]}: {_first_line(error)}') from error
    return compare(output, reference, kind)


def export_onnx(network: nn.Module,
                path: Path,
                size: Tuple[int, int],
                check_size: Optional[Tuple[int, int]] = None,
                fixed_size: bool = False,
                opset: int = OPSET,
                tolerance: float = TOLERANCE,
                properties: Optional[Dict[str, str]] = None) -> ExportResult:
    """Export ``network`` (``inputs -> logits``, e.g.
    :class:`SegmentationLogits`) to ``path``, traced at ``size`` and checked
    with ONNX Runtime against ``network`` at ``check_size`` (default: 3/4
    of the height + 3 by 5/4 of the width + 5). Where the exporter refuses
    dynamic sizes, or the dynamic graph differs by more than ``tolerance``
    (the trace froze a size), or ``fixed_size``, the graph takes ``size``
    only (dynamic batch) and is checked at ``size``.

    Args:
        properties (dict, optional): Extra ``metadata_props`` of the file.

    Raises:
        ExportError: If no graph matches PyTorch; ``path`` is then left
            untouched.
    """
    path, size = Path(path), tuple(size)
    check_size = tuple(check_size or (size[0] * 3 // 4 + 3,
                                      size[1] * 5 // 4 + 5))
    if check_size == size and not fixed_size:
        raise ValueError('the parity check must use another size than the '
                         f'traced {size[0]}x{size[1]}')
    network.eval()
    reason = 'a fixed size was asked for' if fixed_size else None
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        draft = Path(folder, path.name)
        if not fixed_size:
            try:
                figures = _export_checked(network, draft, size, check_size,
                                          opset)
                if figures['max_rel_diff'] > tolerance:
                    reason = (
                        f'the dynamic graph differs from PyTorch at '
                        f'{check_size[0]}x{check_size[1]} (largest relative '
                        f'difference {figures["max_rel_diff"]:.1e}): '
                        'tracing froze a size-dependent value')
            except ExportError as error:
                reason = f'dynamic export failed: {error}'
        if reason:
            check_size = size
            figures = _export_checked(network, draft, size, None, opset)
            if figures['max_rel_diff'] > tolerance:
                raise ExportError(
                    f'the exported graph differs from PyTorch at '
                    f'{size[0]}x{size[1]}: largest relative difference '
                    f'{figures["max_rel_diff"]:.1e} > {tolerance:.0e}, '
                    f'{figures["argmax_agreement"]:.2%} of the pixels with '
                    'the same class; no file written')
        onnx = import_deploy_package('onnx')
        model = onnx.load(str(draft))
        onnx.helper.set_model_props(
            model, {
                **(properties or {}), OUTPUT: getattr(network, 'output',
                                                      'logits'),
                'traced_size': f'{size[0]}x{size[1]}',
                'fixed_size_reason': reason or ''
            })
        onnx.save(model, str(draft))
        os.replace(draft, path)
    return ExportResult(path, size, reason, check_size,
                        figures['max_rel_diff'], figures['argmax_agreement'])


def default_size(cfg: Config) -> Tuple[int, int]:
    """The size the network sees at test time, where the config fixes one:
    the window of sliding-window inference, else the data preprocessor's
    ``size``, else :data:`DEFAULT_SIZE`."""
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        return tuple(test_cfg.crop_size)
    return tuple(
        cfg.model.get('data_preprocessor', {}).get('size') or DEFAULT_SIZE)


def export_segmentor(cfg: Config,
                     checkpoint: Optional[Path],
                     path: Path,
                     size: Optional[Tuple[int, int]] = None,
                     output: str = 'logits',
                     **options) -> ExportResult:
    """:func:`export_onnx` (``options``) of ``cfg``'s segmentor with
    ``checkpoint``'s weights (else random ones) ending in ``output``,
    traced at ``size`` (default: :func:`default_size`), the checkpoint's
    class names and palette stored in the file (:data:`DATASET_META`)."""
    segmentor = load_segmentor(cfg, checkpoint)
    properties = dict(
        producer='mmseg_jpu tools/export_onnx.py',
        checkpoint=Path(checkpoint).name
        if checkpoint else 'none (random weights)')
    meta = getattr(segmentor, 'dataset_meta', None)
    if meta:
        properties[DATASET_META] = json.dumps(
            dict(classes=list(meta.get('classes', ())),
                 palette=[list(map(int, color))
                          for color in meta.get('palette', ())]))
    return export_onnx(SegmentationLogits(segmentor, output), path, size
                       or default_size(cfg), properties=properties, **options)
