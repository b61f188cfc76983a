# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify over the configs of the installed mmseg (docs/jpuify.md, "The
zoo-wide sweep"): per method folder, the dilated configs convert, the only
refusals are CGNet's (with the reason) and none fails; one converted config
per folder, written and read back as a user would, runs with its source's
logits shape.

By default the first dilated config of each folder is converted;
``JPUIFY_ZOO_ALL=1`` converts all of them. With ``-s`` the test prints the
Markdown table of docs/jpuify.md."""
import os
from collections import Counter, defaultdict

import pytest
import torch
from mmengine.config import Config

from mmseg_jpu.tools.jpuify import JpuifyError, jpuify, jpuify_model
from mmseg_jpu.tools.jpuify.levels import build_model
from mmseg_jpu.tools.jpuify.model import has_dilation_to_replace
from mmseg_jpu.utils.config_loading import load_config, scope_config_root

CONVERTED, REFUSED, FAILED, NOT_DILATED = ('converted', 'refused', 'failed',
                                           'not dilated')
SAME_SHAPE = 'same shape'
NEITHER_RUNS = 'neither model runs here'
#: method folders that were refused or crashed before jpuify handled them
ONCE_REFUSED = ('fastfcn', 'mobilenet_v2', 'resnest', 'ocrnet', 'knet',
                'cgnet')
SIZE = 64


def zoo_configs(small_first: bool):
    """Every runnable config of the installed mmseg, ``_base_`` left out,
    in path order or, with ``small_first``, the ResNet-50 ones of each
    folder before the ResNet-101 ones (the same conversion, half the build
    time)."""
    root = scope_config_root('mmseg')
    configs = (p for p in root.rglob('*.py')
               if '_base_' not in p.parts and '__pycache__' not in p.parts)
    return sorted(
        configs,
        key=lambda p: (p.parent.name, small_first and '101' in p.name, p.name))


def _error_text(error: Exception) -> str:
    return f'{type(error).__name__}: ' + ' '.join(str(error).split())[:200]


def _convert(path):
    """``(status, reason)`` of jpuify on the config at ``path``."""
    try:
        # the dict is enough to convert; building needs the imports
        cfg = load_config(str(path), import_custom_modules=False)
        if not has_dilation_to_replace(cfg.model):
            return NOT_DILATED, ''
        jpuify_model(cfg.model)
    except JpuifyError as error:
        return REFUSED, str(error)
    except Exception as error:  # the sweep reports every failure
        return FAILED, _error_text(error)
    return CONVERTED, ''


def _logits_shape(model_cfg):
    model = build_model(model_cfg, meta=False)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, SIZE, SIZE), mode='tensor')
    if isinstance(logits, (tuple, list)):  # EncHead, DAHead: logits first
        logits = logits[0]
    return tuple(logits.shape)


def _sample_run(path, folder) -> str:
    """The source and its converted config (written and read back) run on
    one image: both logits shapes, or why a model did not run (e.g. an mmcv
    op missing from this install)."""

    def converted():
        written = jpuify(str(path), folder / f'{path.stem}_jpu.py').config
        return Config.fromfile(str(written)).model

    shapes = []
    for model in (lambda: load_config(str(path)).model, converted):
        try:
            shapes.append(_logits_shape(model()))
        except Exception as error:  # the sweep reports every failure
            shapes.append(_error_text(error))
    source, converted = shapes
    if isinstance(converted, str):
        return (f'{NEITHER_RUNS}: {source}' if converted == source else
                f'converted model failed: {converted}')
    if isinstance(source, str):
        return f'{converted}; the source does not run here: {source}'
    return f'{source} -> {converted}' + (
        f', {SAME_SHAPE}' if source == converted else
        f', output stride {SIZE // source[-1]} -> {SIZE // converted[-1]}')


def markdown(folders) -> str:
    """The table of docs/jpuify.md: per folder, the dilated configs
    converted, refused and failed, and the sample run; then the reasons."""
    rows = [
        '| method folder | dilated configs | converted | refused | failed '
        '| sample run: source -> converted logits |', '|---|---:|---:|---:|'
        '---:|---|'
    ]
    totals, reasons = Counter(), set()
    swept = [status for items in folders.values() for _, status, *_ in items]
    for name, entries in sorted(folders.items()):
        counts = Counter(status for _, status, _, _ in entries)
        dilated = len(entries) - counts[NOT_DILATED]
        if not dilated:
            continue
        totals.update(counts)
        runs = '; '.join(f'`{path.stem}`: {run}'
                         for path, _, _, run in entries if run)
        rows.append(f'| {name} | {dilated} | {counts[CONVERTED]} | '
                    f'{counts[REFUSED]} | {counts[FAILED]} | {runs} |')
        reasons |= {(name, status, reason)
                    for _, status, reason, _ in entries if reason}
    dilated = sum(totals[s] for s in (CONVERTED, REFUSED, FAILED))
    rows.append(f'| **all** | **{dilated}** | **{totals[CONVERTED]}** '
                f'| **{totals[REFUSED]}** | **{totals[FAILED]}** | |')
    return '\n'.join(rows + [
        '', f'{len(swept)} configs swept, {swept.count(NOT_DILATED)} of them '
        'not dilated (nothing to convert).', ''
    ] + [f'- {name}, {status}: {reason}'
         for name, status, reason in sorted(reasons)])


@pytest.mark.slow
def test_dilated_configs_of_every_method_folder_convert_and_run(tmp_path):
    every = bool(os.environ.get('JPUIFY_ZOO_ALL'))
    configs = zoo_configs(small_first=not every)
    folders = defaultdict(list)
    for path in configs:
        entries = folders[path.parent.name]
        dilated = [e for e in entries if e[1] != NOT_DILATED]
        if dilated and not every:
            continue
        status, reason = _convert(path)
        first = status == CONVERTED and not any(e[3] for e in entries)
        run = _sample_run(path, tmp_path) if first else None
        entries.append((path, status, reason, run))
    print(markdown(folders))

    assert set(folders) == {p.parent.name for p in configs}
    entries = [e for items in folders.values() for e in items]
    dilated = [e for e in entries if e[1] != NOT_DILATED]
    assert set(ONCE_REFUSED) <= {path.parent.name for path, *_ in dilated}
    assert not [e for e in dilated if e[1] == FAILED]
    refused = [e for e in dilated if e[1] == REFUSED]
    assert {path.parent.name for path, *_ in refused} == {'cgnet'}
    assert all('Context Guided blocks' in e[2] for e in refused)
    for name in {path.parent.name for path, status, *_ in dilated
                 if status == CONVERTED}:
        runs = [run for _, _, _, run in folders[name] if run]
        assert len(runs) == 1, name  # one sample per folder
        # an mmcv op missing from this install stops both models alike
        assert runs[0].endswith(SAME_SHAPE) or runs[0].startswith(
            NEITHER_RUNS), runs[0]
