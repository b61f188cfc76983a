# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The benchmark's output: Markdown tables, a JSON file and an FPS bar
chart."""
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmseg_jpu.tools.benchmark.inference_options import PLAIN


def _ratio(value: Optional[float], suffix: str = 'x') -> str:
    return '' if value is None else f' ({value:.2f}{suffix})'


def _mem(record: Dict, mode: str) -> str:
    value = record.get(f'{mode}_mem_mib')
    if value is None:
        return '-'
    return f'{value:.0f}{_ratio(record[f"{mode}_mem_ratio"])}'


def _table(header: Sequence[str], rows: List[Sequence[str]]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def models_table(records: List[Dict]) -> str:
    """fp32 eager figures and their ratios to the dilated baseline."""
    header = ('model', 'variant', 'latency ms (min-max)', 'FPS (speed-up)',
              'GFLOPs (ratio)', 'params M', 'inference MiB (ratio)',
              'training MiB (ratio)', 'backbone / neck / head ms')
    rows = []
    for r in records:
        if r['option'] != PLAIN:
            continue
        rows.append((
            r['model'], r['variant'],
            f'{r["latency_ms_median"]:.1f} ({r["latency_ms_min"]:.1f}-'
            f'{r["latency_ms_max"]:.1f})',
            f'{r["fps"]:.2f}{_ratio(r["speedup"])}',
            f'{r["gflops"]:.1f}{_ratio(r["gflops_ratio"])}',
            f'{r["params_m"]:.1f}', _mem(r, 'inference'), _mem(r, 'training'),
            f'{r["backbone_ms"]:.0f} / {r["neck_ms"]:.0f} / '
            f'{r["head_ms"]:.0f}'))
    return _table(header, rows)


def options_table(records: List[Dict], options: Sequence[str]) -> str:
    """FPS per inference option, its speed-up over fp32 eager and the
    largest logit difference it causes (relative to the largest logit)."""
    plain = {(r['model'], r['variant']): r for r in records
             if r['option'] == PLAIN}
    cells: Dict = {}
    for r in records:
        base = plain.get((r['model'], r['variant']))
        speedup = r['fps'] / base['fps'] if base else None
        text = f'{r["fps"]:.2f}'
        if r['option'] != PLAIN:
            text += f'{_ratio(speedup)}, diff {r["max_rel_diff"]:.1e}'
        cells.setdefault((r['model'], r['variant']), {})[r['option']] = text
    header = ('model', 'variant', *options)
    rows = [(model, variant, *(by_option.get(o, '-') for o in options))
            for (model, variant), by_option in cells.items()]
    return _table(header, rows)


def necks_table(records: List[Dict]) -> str:
    """Latency of the two JPU necks per pass."""
    header = ('neck', 'pass', 'latency ms (min-max)')
    rows = [(r['neck'], r['passes'],
             f'{r["latency_ms_median"]:.2f} ({r["latency_ms_min"]:.2f}-'
             f'{r["latency_ms_max"]:.2f})') for r in records]
    return _table(header, rows)


def markdown(models: List[Dict], necks: List[Dict], options: Sequence[str],
             environment: Dict) -> str:
    """The whole report."""
    parts = [
        f'Device: {environment["device_name"]}; torch '
        f'{environment["torch_version"]}; {environment["threads"]} CPU '
        f'threads; input {environment["input_size"][0]}x'
        f'{environment["input_size"][1]}, batch {environment["batch"]}.'
    ]
    if models:
        parts += ['### Dilated vs stride-32 models (fp32, eager)',
                  models_table(models)]
        if len(options) > 1:
            parts += ['### Inference options (FPS, speed-up over fp32, '
                      'max relative logit difference)',
                      options_table(models, options)]
    if necks:
        parts += ['### JPU necks', necks_table(necks)]
    return '\n\n'.join(parts) + '\n'


def write_json(path: Path, models: List[Dict], necks: List[Dict],
               environment: Dict) -> None:
    """One record per (model, variant, option) and per (neck, pass), each
    carrying the environment (device, dtype, torch version, input size)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(
        dict(models=[{**r, **environment} for r in models],
             necks=[{**r, **environment} for r in necks]), indent=2) + '\n')


def plot_fps(path: Path, records: List[Dict], title: str) -> None:
    """Bar chart of fp32 FPS per model, one bar per variant."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    plain = [r for r in records if r['option'] == PLAIN]
    models = list(dict.fromkeys(r['model'] for r in plain))
    variants = list(dict.fromkeys(r['variant'] for r in plain))
    width = 0.8 / len(variants)
    figure, axes = plt.subplots(figsize=(1.6 * len(models) + 3, 4))
    for i, variant in enumerate(variants):
        fps = {r['model']: r['fps'] for r in plain if r['variant'] == variant}
        positions = [m + (i - (len(variants) - 1) / 2) * width
                     for m, name in enumerate(models) if name in fps]
        axes.bar(positions, [fps[name] for name in models if name in fps],
                 width, label=variant)
    axes.set_xticks(range(len(models)), models)
    axes.set_ylabel('FPS (fp32, eager)')
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
