# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export a config's inference network to ONNX (``tools/export_onnx.py``)
and describe the result."""
import json
from pathlib import Path
from typing import List, Optional, Tuple

from mmengine.config import Config

from ..deploy import ExportResult, SegmentationLogits, export_onnx
from ..deploy import load_segmentor
from ..deploy.onnx_export import DATASET_META
from .jpuify import resolve_config

DEFAULT_SIZE = (512, 512)


def load_config(source: str, options: Optional[dict] = None) -> Config:
    """A config file, or ``mmseg::path`` in the installed mmseg, with
    ``options`` (``--cfg-options``) merged in."""
    cfg = Config.fromfile(str(resolve_config(source)))
    if options:
        cfg.merge_from_dict(options)
    return cfg


def default_size(cfg: Config) -> Tuple[int, int]:
    """The size the network sees at test time when the config fixes one:
    the window of sliding-window inference, else the data preprocessor's
    ``size``, else 512x512."""
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        return tuple(test_cfg.crop_size)
    size = cfg.model.get('data_preprocessor', {}).get('size')
    return tuple(size) if size else DEFAULT_SIZE


def export(cfg: Config, checkpoint: Optional[Path], out: Path,
           size: Tuple[int, int], **options) -> ExportResult:
    """Export ``cfg``'s network with ``checkpoint``'s weights (random weights
    without one) to ``out``; ``options`` go to
    :func:`~mmseg_jpu.deploy.export_onnx`."""
    segmentor = load_segmentor(cfg, checkpoint)
    properties = dict(producer='mmseg_jpu tools/export_onnx.py',
                      checkpoint=Path(checkpoint).name if checkpoint else
                      'none (random weights)')
    meta = getattr(segmentor, 'dataset_meta', None)
    if meta:
        properties[DATASET_META] = json.dumps(
            dict(classes=list(meta.get('classes', ())),
                 palette=[[int(v) for v in color]
                          for color in meta.get('palette', ())]))
    network = SegmentationLogits(segmentor)
    return export_onnx(network, out, size, properties=properties, **options)


def describe(result: ExportResult, checkpoint: Optional[Path]) -> List[str]:
    """The lines the tool prints about ``result``."""
    megabytes = result.path.stat().st_size / 2**20
    traced = 'x'.join(map(str, result.traced_size))
    checked = 'x'.join(map(str, result.checked_size))
    weights = (f'weights of {checkpoint}' if checkpoint else
               'random weights (no checkpoint given)')
    if result.dynamic:
        shape = (f'input: dynamic batch, height and width (traced at '
                 f'{traced}; checked at {checked}, another size)')
    else:
        shape = (f'input: fixed {traced} (dynamic batch) because '
                 f'{result.fixed_size_reason}; ONNX Runtime and OpenVINO '
                 'refuse other sizes, so the check ran at the traced size')
    return [
        f'wrote {result.path} ({megabytes:.1f} MiB, {weights})',
        shape,
        f'parity with PyTorch (ONNX Runtime, random {checked} input): '
        f'largest relative logit difference {result.max_rel_diff:.1e}, '
        f'{result.argmax_agreement:.2%} of the pixels with the same class',
    ]
