# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export a segmentation network to ONNX and check the file against
PyTorch with ONNX Runtime before keeping it.

The graph takes the normalised image ``inputs`` :math:`(N, 3, H, W)` and
returns ``seg_logits`` :math:`(N, K, H, W)`, or, if the network ends in
them (:class:`~.inference_network.SegmentationLogits`' ``output``),
``seg_probabilities`` :math:`(N, K, H, W)` or ``seg_labels``
:math:`(N, 1, H, W)` int64; the kind is stored in the file's metadata
(:data:`OUTPUT`). Batch, height and width are
dynamic wherever the network's operators allow; a network that cannot be
exported with dynamic sizes, or whose dynamic graph does not reproduce
PyTorch at another size (the trace froze a size), is exported for the
traced size only, and the result says why.

torch's TorchScript exporter (``dynamo=False``) is used: its graphs of these
networks match PyTorch, while the dynamo exporter takes ten times longer and
writes adaptive pooling's indices for the traced size into the graph.
"""
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

INPUT_NAME = 'inputs'
#: the graph's output name for each kind of output
OUTPUT_NAMES = dict(
    logits='seg_logits',
    probabilities='seg_probabilities',
    labels='seg_labels')
OPSET = 17
#: metadata key of the checkpoint's dataset meta (JSON: classes, palette)
DATASET_META = 'dataset_meta'
#: metadata key of the kind of output (:data:`OUTPUT_NAMES`)
OUTPUT = 'output'
#: the OpenVINO IR's ``rt_info`` section holding the metadata
RT_INFO_SECTION = 'mmseg_jpu'
#: traced size of configs that fix none (:func:`default_size`)
DEFAULT_SIZE = (512, 512)
#: largest logit (or probability) difference, relative to the largest of
#: PyTorch, or share of pixels with another label, that still counts as the
#: same network
TOLERANCE = 1e-4


class ExportError(RuntimeError):
    """The network could not be exported, or the file does not reproduce
    PyTorch; no file was written."""


@dataclass
class ExportResult:
    """What was written and how well it matches PyTorch.

    Attributes:
        path: The ONNX file.
        traced_size: (height, width) the graph was traced at.
        fixed_size_reason: Why the file only takes ``traced_size`` inputs;
            ``None`` when height and width are dynamic.
        checked_size: (height, width) of the parity check's input.
        max_rel_diff: Largest logit (probability) difference between ONNX
            Runtime and PyTorch, relative to the largest PyTorch one; for
            labels, the share of pixels with another label.
        argmax_agreement: Share of pixels whose predicted class is the same.
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


def default_check_size(size: Tuple[int, int]) -> Tuple[int, int]:
    """Another size than ``size`` for the parity check: neither square nor
    a multiple of 8, as images resized with their aspect ratio are."""
    height, width = size
    return height * 3 // 4 + 3, width * 5 // 4 + 5


def compare(output: np.ndarray,
            reference: np.ndarray,
            kind: str = 'logits') -> Dict[str, float]:
    """Largest absolute and relative (to the largest reference logit)
    differences of ``(N, K, H, W)`` logits (or probabilities), and the
    share of pixels whose predicted class (argmax over K) is the same; for
    ``(N, 1, H, W)`` labels, both differences are the share of pixels with
    another label."""
    if kind == 'labels':
        agreement = float((output == reference).mean())
        return dict(max_abs_diff=1 - agreement, max_rel_diff=1 - agreement,
                    argmax_agreement=agreement)
    difference = float(np.abs(output - reference).max())
    same_class = output.argmax(1) == reference.argmax(1)
    return dict(
        max_abs_diff=difference,
        max_rel_diff=difference / max(float(np.abs(reference).max()), 1e-12),
        argmax_agreement=float(same_class.mean()))


def _first_line(error: Exception) -> str:
    message = str(error).strip().splitlines()
    return message[0] if message else type(error).__name__


def _trace(network: nn.Module, path: Path, size: Tuple[int, int],
           dynamic: bool, opset: int) -> None:
    axes = {0: 'batch', 2: 'height', 3: 'width'} if dynamic else {0: 'batch'}
    output = OUTPUT_NAMES[getattr(network, 'output', 'logits')]
    with warnings.catch_warnings(), torch.no_grad():
        # the tracer's warnings concern Python values computed from sizes;
        # the parity check at another size is what tells whether they matter
        warnings.simplefilter('ignore')
        torch.onnx.export(
            network, (torch.randn(1, 3, *size), ),
            str(path),
            dynamo=False,
            opset_version=opset,
            input_names=[INPUT_NAME],
            output_names=[output],
            dynamic_axes={INPUT_NAME: axes, output: axes})


def parity(path: Path, network: nn.Module,
           size: Tuple[int, int]) -> Dict[str, float]:
    """:func:`compare` the ONNX Runtime output of ``path`` with
    ``network``'s on one random input of ``size``."""
    inputs = torch.randn(
        1, 3, *size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # mmseg's advice on resize sizes
        reference = network(inputs).numpy()
    output = load_runtime(path, 'onnxruntime')(inputs.numpy())
    return compare(output, reference, getattr(network, 'output', 'logits'))


def read_metadata(path: Path) -> Dict[str, str]:
    """The metadata of an exported model (e.g. :data:`DATASET_META`,
    :data:`OUTPUT`, ``traced_size``, ``fixed_size_reason``): an ONNX file's
    ``metadata_props``, or an OpenVINO IR's (``.xml``) ``rt_info`` section
    :data:`RT_INFO_SECTION` (``tools/quantize.py`` copies them there)."""
    if Path(path).suffix == '.xml':
        model = import_deploy_package('openvino').Core().read_model(str(path))
        if not model.has_rt_info([RT_INFO_SECTION]):
            return {}
        section = model.get_rt_info()[RT_INFO_SECTION]
        return {key: value.astype(str) for key, value in section.items()}
    onnx = import_deploy_package('onnx')
    model = onnx.load(str(path), load_external_data=False)
    return {entry.key: entry.value for entry in model.metadata_props}


def _annotate(path: Path, properties: Dict[str, str]) -> None:
    onnx = import_deploy_package('onnx')
    model = onnx.load(str(path))
    for key, value in properties.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _export_checked(network, exportable, path, size, check_size, dynamic,
                    opset):
    """Trace ``exportable`` and return how far the file's output at
    ``check_size`` (``size`` unless ``dynamic``) is from ``network``'s.

    Raises:
        ExportError: If the exporter fails, or ONNX Runtime cannot run the
            file (the message says which, and why).
    """
    try:
        _trace(exportable, path, size, dynamic, opset)
    except Exception as error:  # the exporter raises many types
        raise ExportError(
            f'the exporter refused it: {_first_line(error)}') from error
    check_size = check_size if dynamic else size
    try:
        return parity(path, network, check_size)
    except Exception as error:  # ONNX Runtime's errors have no common type
        raise ExportError(
            f'ONNX Runtime cannot run the file at {check_size[0]}x'
            f'{check_size[1]}: {_first_line(error)}') from error


def export_onnx(network: nn.Module,
                path: Path,
                size: Tuple[int, int],
                check_size: Optional[Tuple[int, int]] = None,
                fixed_size: bool = False,
                opset: int = OPSET,
                tolerance: float = TOLERANCE,
                properties: Optional[Dict[str, str]] = None) -> ExportResult:
    """Export ``network`` (``inputs -> logits``, e.g.
    :class:`~.inference_network.SegmentationLogits`, which may end in
    probabilities or labels: its ``output``) to ``path`` and check the file
    with ONNX Runtime.

    The graph is traced at ``size`` with dynamic batch, height and width
    (unless ``fixed_size``), then run on a ``check_size`` input (default:
    :func:`default_check_size`) and compared with ``network``. If the
    exporter refuses dynamic sizes, or the dynamic graph differs from
    PyTorch by more than ``tolerance``, the graph is traced again for
    ``size`` only (dynamic batch) and checked at ``size``. The file is
    written only when its check passes.

    Args:
        properties: Extra ``metadata_props`` of the ONNX model.

    Raises:
        ExportError: If no graph could be exported or none matches PyTorch
            within ``tolerance``; ``path`` is then left untouched.
    """
    path = Path(path)
    network = network.eval()
    check_size = tuple(check_size or default_check_size(size))
    if check_size == tuple(size) and not fixed_size:
        raise ValueError(f'the parity check must use another size than the '
                         f'traced {size[0]}x{size[1]}')
    if not path.parent.is_dir():
        raise ValueError(f'folder {path.parent} does not exist')
    exportable = with_exportable_pooling(network)
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        draft = Path(folder) / path.name
        reason = 'a fixed size was asked for' if fixed_size else None
        if reason is None:
            try:
                figures = _export_checked(network, exportable, draft, size,
                                          check_size, True, opset)
                if figures['max_rel_diff'] > tolerance:
                    reason = (
                        f'the dynamic graph differs from PyTorch at '
                        f'{check_size[0]}x{check_size[1]} (largest relative '
                        f'difference {figures["max_rel_diff"]:.1e}): '
                        'tracing froze a size-dependent value')
            except ExportError as error:
                reason = f'dynamic export failed: {error}'
        if reason is not None:
            figures = _export_checked(network, exportable, draft, size, size,
                                      False, opset)
            if figures['max_rel_diff'] > tolerance:
                raise ExportError(
                    f'the exported graph differs from PyTorch at '
                    f'{size[0]}x{size[1]}: largest relative difference '
                    f'{figures["max_rel_diff"]:.1e} > {tolerance:.0e}, '
                    f'{figures["argmax_agreement"]:.2%} of the pixels with '
                    'the same class; no file written')
        _annotate(draft, {
            **(properties or {}),
            OUTPUT: getattr(network, 'output', 'logits'),
            'traced_size': f'{size[0]}x{size[1]}',
            'fixed_size_reason': reason or '',
        })
        os.replace(draft, path)
    return ExportResult(
        path=path,
        traced_size=tuple(size),
        fixed_size_reason=reason,
        checked_size=tuple(size) if reason else check_size,
        max_rel_diff=figures['max_rel_diff'],
        argmax_agreement=figures['argmax_agreement'])


def default_size(cfg: Config) -> Tuple[int, int]:
    """The size the network sees at test time when the config fixes one:
    the window of sliding-window inference, else the data preprocessor's
    ``size``, else :data:`DEFAULT_SIZE`."""
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        return tuple(test_cfg.crop_size)
    size = cfg.model.get('data_preprocessor', {}).get('size')
    return tuple(size) if size else DEFAULT_SIZE


def export_segmentor(cfg: Config,
                     checkpoint: Optional[Path],
                     path: Path,
                     size: Optional[Tuple[int, int]] = None,
                     output: str = 'logits',
                     **options) -> ExportResult:
    """Export ``cfg``'s segmentor with ``checkpoint``'s weights (random
    weights without one) traced at ``size`` (default: :func:`default_size`),
    ending in ``output`` (``logits``, ``probabilities`` or ``labels``), with
    :func:`export_onnx` (``options``), storing the checkpoint's class names
    and palette in the file (:data:`DATASET_META`)."""
    segmentor = load_segmentor(cfg, checkpoint)
    properties = dict(
        producer='mmseg_jpu tools/export_onnx.py',
        checkpoint=Path(checkpoint).name
        if checkpoint else 'none (random weights)')
    meta = getattr(segmentor, 'dataset_meta', None)
    if meta:
        properties[DATASET_META] = json.dumps(
            dict(classes=list(meta.get('classes', ())),
                 palette=[[int(v) for v in color]
                          for color in meta.get('palette', ())]))
    return export_onnx(SegmentationLogits(segmentor, output), path, size
                       or default_size(cfg), properties=properties, **options)
