# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify over every config of the installed mmseg: per method folder, how
many dilated configs convert, are refused (and why) or fail, and a sample
of converted models built and run next to their sources."""
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional

import torch
from mmengine.config import Config

from .config_file import MMSEG_CONFIGS, jpuify, read_config
from .errors import JpuifyError
from .levels import build_model
from .model import has_dilation_to_replace, jpuify_model

CONVERTED, REFUSED, FAILED, NOT_DILATED = ('converted', 'refused', 'failed',
                                           'not dilated')


@dataclass
class ZooEntry:
    """One config of the zoo and what jpuify did with it."""
    folder: str
    name: str
    status: str
    reason: str = ''
    #: for a sampled converted config: the result of building and running
    #: both models (None when not sampled)
    run: Optional['SampleRun'] = None


@dataclass
class SampleRun:
    """Logits of the source and the converted model on one image, or why
    one of them did not run."""
    size: int
    source_shape: tuple = ()
    converted_shape: tuple = ()
    source_error: str = ''
    error: str = ''

    @property
    def same_shape(self) -> bool:
        return bool(self.converted_shape) and (self.source_shape
                                               == self.converted_shape)


def zoo_configs(root: Path = MMSEG_CONFIGS) -> List[Path]:
    """Every runnable config under ``root`` (``_base_`` files left out)."""
    return sorted(p for p in root.rglob('*.py')
                  if '_base_' not in p.parts and '__pycache__' not in p.parts)


def sweep(configs: Iterable[Path],
          per_folder: Optional[int] = None,
          sample: int = 1,
          size: int = 64,
          progress: Callable[[ZooEntry], None] = lambda entry: None
          ) -> List[ZooEntry]:
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
        progress(entry)
    return entries


def _convert(path: Path) -> ZooEntry:
    folder, name = path.parent.name, path.name
    try:
        # the dict is enough to convert; building needs the imports
        cfg = read_config(str(path), import_custom_modules=False)
        if not has_dilation_to_replace(cfg.model):
            return ZooEntry(folder, name, NOT_DILATED)
        jpuify_model(cfg.model)
    except JpuifyError as error:
        return ZooEntry(folder, name, REFUSED, str(error))
    except Exception as error:  # the sweep reports every failure
        return ZooEntry(folder, name, FAILED, _error_text(error))
    return ZooEntry(folder, name, CONVERTED)


def sample_run(path: Path, size: int) -> SampleRun:
    """Run the source and the converted model (written to a file and read
    back, as a user would) on one ``size`` x ``size`` image."""
    run = SampleRun(size)
    try:
        run.source_shape = _logits_shape(read_config(str(path)).model, size)
    except Exception as error:  # e.g. an mmcv op missing from this install
        run.source_error = _error_text(error)
    try:
        with tempfile.TemporaryDirectory() as folder:
            written = jpuify(str(path), Path(folder) / 'converted.py').config
            converted = Config.fromfile(str(written))
        run.converted_shape = _logits_shape(converted.model, size)
    except Exception as error:  # the sweep reports every failure
        run.error = _error_text(error)
    return run


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
        runs = '; '.join(run_text(e) for e in items if e.run)
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


def run_text(entry: ZooEntry) -> str:
    """The sample run of a config, in words."""
    run = entry.run
    if run.error and run.source_error:
        result = f'neither model runs here: {run.source_error}'
    elif run.error:
        result = f'converted model failed: {run.error}'
    elif run.source_error:
        result = (f'{run.converted_shape}; the source does not run here: '
                  f'{run.source_error}')
    elif run.same_shape:
        result = f'{run.source_shape} -> {run.converted_shape}, same shape'
    else:
        result = (f'{run.source_shape} -> {run.converted_shape}, output '
                  f'stride {run.size // run.source_shape[-1]} -> '
                  f'{run.size // run.converted_shape[-1]}')
    return f'`{entry.name[:-3]}`: {result}'
