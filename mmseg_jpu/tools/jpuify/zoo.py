# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify over every config of the installed mmseg: per method folder, how
many dilated configs convert, are refused (and why) or fail, and a sample
of converted models built and run next to their sources."""
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import torch
from mmengine.config import Config

from mmseg_jpu.utils.config_loading import load_config, scope_config_root
from .config_file import jpuify
from .errors import JpuifyError
from .levels import build_model
from .model import has_dilation_to_replace, jpuify_model

CONVERTED, REFUSED, FAILED, NOT_DILATED = ('converted', 'refused', 'failed',
                                           'not dilated')
SAME_SHAPE = 'same shape'
NEITHER_RUNS = 'neither model runs here'


@dataclass
class ZooEntry:
    """One config of the zoo and what jpuify did with it."""
    folder: str
    name: str
    status: str
    reason: str = ''
    #: for a sampled converted config: both models' logits shapes (or why
    #: one did not run), in words (None when not sampled)
    run: Optional[str] = None


def zoo_configs(root: Optional[Path] = None) -> List[Path]:
    """Every runnable config under ``root`` (default: the installed mmseg's
    configs), ``_base_`` files left out."""
    root = root or scope_config_root('mmseg')
    return sorted(p for p in root.rglob('*.py')
                  if '_base_' not in p.parts and '__pycache__' not in p.parts)


def sweep(configs: Iterable[Path],
          per_folder: Optional[int] = None,
          sample: int = 1,
          size: int = 64) -> List[ZooEntry]:
    """Convert each config; build and run the first ``sample`` converted
    configs of each folder at ``size`` x ``size``.

    Args:
        per_folder (int, optional): Stop a folder after this many dilated
            configs (None: all of them).
    """
    entries: List[ZooEntry] = []
    dilated: Counter = Counter()
    run: Counter = Counter()
    for path in configs:
        folder = path.parent.name
        if per_folder is not None and dilated[folder] >= per_folder:
            continue
        entry = _convert(path)
        if entry.status != NOT_DILATED:
            dilated[folder] += 1
        if entry.status == CONVERTED and run[folder] < sample:
            run[folder] += 1
            entry.run = sample_run(path, size)
        entries.append(entry)
    return entries


def _convert(path: Path) -> ZooEntry:
    folder, name = path.parent.name, path.name
    try:
        # the dict is enough to convert; building needs the imports
        cfg = load_config(str(path), import_custom_modules=False)
        if not has_dilation_to_replace(cfg.model):
            return ZooEntry(folder, name, NOT_DILATED)
        jpuify_model(cfg.model)
    except JpuifyError as error:
        return ZooEntry(folder, name, REFUSED, str(error))
    except Exception as error:  # the sweep reports every failure
        return ZooEntry(folder, name, FAILED, _error_text(error))
    return ZooEntry(folder, name, CONVERTED)


def sample_run(path: Path, size: int) -> str:
    """Run the source and the converted model (written to a file and read
    back, as a user would) on one ``size`` x ``size`` image; the logits
    shapes, or why a model did not run (e.g. an mmcv op missing from this
    install), in words."""

    def converted_model():
        with tempfile.TemporaryDirectory() as folder:
            written = jpuify(str(path), Path(folder) / 'converted.py').config
            return Config.fromfile(str(written)).model

    shapes = []
    for model in (lambda: load_config(str(path)).model, converted_model):
        try:
            shapes.append(_logits_shape(model(), size))
        except Exception as error:  # the sweep reports every failure
            shapes.append(_error_text(error))
    source, converted = shapes
    if isinstance(converted, str):
        return (f'{NEITHER_RUNS}: {source}'
                if converted == source else f'converted model failed: '
                f'{converted}')
    if isinstance(source, str):
        return f'{converted}; the source does not run here: {source}'
    if source == converted:
        return f'{source} -> {converted}, {SAME_SHAPE}'
    return (f'{source} -> {converted}, output stride {size // source[-1]} '
            f'-> {size // converted[-1]}')


def _logits_shape(model_cfg, size: int) -> tuple:
    model = build_model(model_cfg, meta=False)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, size, size), mode='tensor')
    if isinstance(logits, (tuple, list)):  # EncHead, DAHead: logits first
        logits = logits[0]
    return tuple(logits.shape)


def _error_text(error: Exception) -> str:
    text = ' '.join(str(error).split())
    return f'{type(error).__name__}: {text[:200]}'


def markdown(entries: List[ZooEntry]) -> str:
    """The per-folder table of the dilated configs, the refusal reasons and
    the sample runs, as Markdown."""
    folders: Dict[str, List[ZooEntry]] = defaultdict(list)
    for entry in entries:
        folders[entry.folder].append(entry)
    rows = [
        '| method folder | dilated configs | converted | refused | failed '
        '| sample run: source -> converted logits |',
        '|---|---:|---:|---:|---:|---|',
    ]
    totals: Counter = Counter()
    for folder, items in sorted(folders.items()):
        counts = Counter(e.status for e in items)
        dilated = len(items) - counts[NOT_DILATED]
        if not dilated:
            continue
        totals.update(counts)
        runs = '; '.join(f'`{e.name[:-3]}`: {e.run}' for e in items if e.run)
        rows.append(f'| {folder} | {dilated} | {counts[CONVERTED]} | '
                    f'{counts[REFUSED]} | {counts[FAILED]} | {runs} |')
    total_dilated = sum(totals[s] for s in (CONVERTED, REFUSED, FAILED))
    rows.append(f'| **all** | **{total_dilated}** | **{totals[CONVERTED]}** '
                f'| **{totals[REFUSED]}** | **{totals[FAILED]}** | |')
    not_dilated = sum(e.status == NOT_DILATED for e in entries)
    text = '\n'.join(rows) + (
        f'\n\n{len(entries)} configs swept, {not_dilated} of them not '
        'dilated (nothing to convert).\n')
    reasons = sorted({(e.folder, e.status, e.reason)
                      for e in entries if e.status in (REFUSED, FAILED)})
    if reasons:
        text += '\n' + '\n'.join(f'- {folder}, {status}: {reason}'
                                 for folder, status, reason in reasons) + '\n'
    return text
