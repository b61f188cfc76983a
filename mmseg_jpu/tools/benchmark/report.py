# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The benchmark's output: where it ran (``lscpu``'s model name and flags),
Markdown tables, the issue's targets as measured, a JSON file and an FPS
bar chart."""
import datetime
import json
import platform
import subprocess
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import torch

from ...deploy.onnx_export import TOLERANCE
from .inference_options import PLAIN
from .suite import PEER, PEER_COUNTERPART

#: CPU flags that decide what reduced precision can gain
KEY_CPU_FLAGS = ('avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16',
                 'avx512_fp16', 'amx_tile', 'amx_bf16', 'amx_int8')
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')
#: the issue's targets
EXACT_SPEEDUP_TARGET = 1.5
REDUCED_SPEEDUP_TARGET = 5.0
REDUCED_AGREEMENT_TARGET = 0.995
LIKE_FOR_LIKE_TARGET = 2.5
#: the model the speed-up targets are about, and its like-for-like baseline
TARGET_MODEL = ('enc', 'jpu-1x1')


def cpu_description() -> Dict:
    """``lscpu``'s model name and flags (``/proc/cpuinfo`` where lscpu is
    missing)."""
    fields = {}
    try:
        text = subprocess.run(['lscpu'], capture_output=True, text=True,
                              check=True).stdout
        for line in text.splitlines():
            key, _, value = line.partition(':')
            fields[key.strip()] = value.strip()
    except (OSError, subprocess.CalledProcessError):
        text = Path('/proc/cpuinfo').read_text() if Path(
            '/proc/cpuinfo').is_file() else ''
        for line in text.splitlines():
            key, _, value = line.partition(':')
            fields.setdefault({'model name': 'Model name', 'flags': 'Flags'}
                              .get(key.strip(), key.strip()), value.strip())
    flags = fields.get('Flags', '').split()
    return dict(
        cpu_model=fields.get('Model name') or platform.processor() or
        platform.machine(),
        cpu_flags=flags,
        cpu_key_flags=[f for f in KEY_CPU_FLAGS if f in flags],
        cpu_has_bf16=any(f in flags for f in BF16_FLAGS))


def environment(settings) -> Dict:
    """What every record carries about where and how it was measured."""
    device = settings.device
    return dict(
        device=str(device),
        device_name=(torch.cuda.get_device_name(device)
                     if device.type == 'cuda' else 'cpu'),
        **cpu_description(),
        torch_version=torch.__version__,
        runtime_versions=_runtime_versions(),
        threads=torch.get_num_threads(),
        input_size=list(settings.size),
        batch=settings.batch,
        train_crop=list(settings.train_crop),
        train_batch=settings.train_batch,
        image=Path(settings.image).name,
        date=datetime.date.today().isoformat())


def _runtime_versions() -> Dict[str, str]:
    versions = {}
    for name in ('onnxruntime', 'openvino'):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            pass
    return versions


def _ratio(value: Optional[float], suffix: str = 'x') -> str:
    return '' if value is None else f' ({value:.2f}{suffix})'


def _mem(record: Dict, mode: str) -> str:
    value = record.get(f'{mode}_mem_mib')
    if value is None:
        return '-'
    return f'{value:.0f}{_ratio(record[f"{mode}_mem_ratio"])}'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def _plain(records: List[Dict]) -> List[Dict]:
    return [r for r in records if r['option'] == PLAIN]


def _index(records: List[Dict]) -> Dict:
    return {(r['model'], r['variant'], r['option']): r for r in records}


def models_table(records: List[Dict]) -> str:
    """fp32 eager figures and their ratios to the dilated baseline."""
    header = ('model', 'variant', 'baseline', 'latency ms (min-max)',
              'FPS (speed-up)', 'GFLOPs (ratio)', 'params M',
              'inference MiB (ratio)', 'training MiB (ratio)',
              'backbone / neck / head ms')
    rows = [(
        r['model'], r['variant'], r['baseline'] or '-',
        f'{r["latency_ms_median"]:.1f} ({r["latency_ms_min"]:.1f}-'
        f'{r["latency_ms_max"]:.1f})',
        f'{r["fps"]:.2f}{_ratio(r["speedup"])}',
        f'{r["gflops"]:.1f}{_ratio(r["gflops_ratio"])}',
        f'{r["params_m"]:.1f}', _mem(r, 'inference'), _mem(r, 'training'),
        f'{r["backbone_ms"]:.0f} / {r["neck_ms"]:.0f} / {r["head_ms"]:.0f}')
            for r in _plain(records)]
    return _table(header, rows)


def training_table(records: List[Dict]) -> str:
    """Seconds per training step and the speed-up over the baseline."""
    header = ('model', 'variant', 'baseline', 'train step s (min-max)',
              'speed-up')
    rows = [(r['model'], r['variant'], r['baseline'] or '-',
             f'{r["train_step_s_median"]:.2f} ({r["train_step_s_min"]:.2f}-'
             f'{r["train_step_s_max"]:.2f})',
             '-' if r['train_speedup'] is None else
             f'{r["train_speedup"]:.2f}x')
            for r in _plain(records) if 'train_step_s_median' in r]
    return _table(header, rows)


def _by_model(records: List[Dict]) -> Dict:
    cells: Dict = {}
    for r in records:
        cells.setdefault((r['model'], r['variant']), {})[r['option']] = r
    return cells


def options_table(records: List[Dict], options: Sequence[str]) -> str:
    """FPS per inference option and its speed-up over fp32 eager."""
    plain = {(r['model'], r['variant']): r for r in _plain(records)}
    rows = []
    for key, by_option in _by_model(records).items():
        cells = []
        for option in options:
            r = by_option.get(option)
            if r is None:
                cells.append('-')
                continue
            text = f'{r["fps"]:.2f}'
            if option != PLAIN:
                text += _ratio(r['fps'] / plain[key]['fps'])
            cells.append(text)
        rows.append((*key, *cells))
    return _table(('model', 'variant', *options), rows)


def fidelity_table(records: List[Dict], options: Sequence[str]) -> str:
    """Per option, the largest logit difference relative to the largest
    fp32 logit on noise and on the photograph, and the share of the
    photograph's pixels whose class is unchanged."""
    rows = []
    for key, by_option in _by_model(records).items():
        cells = []
        for option in options[1:]:
            r = by_option.get(option)
            cells.append('-' if r is None else
                         f'{r["max_rel_diff"]:.1e} / '
                         f'{r["image_max_rel_diff"]:.1e} / '
                         f'{r["image_argmax_agreement"]:.2%}')
        rows.append((*key, *cells))
    return _table(('model', 'variant', *options[1:]), rows)


def like_for_like_table(records: List[Dict], options: Sequence[str]) -> str:
    """Speed-up over the baseline (same head) under each option: both
    models run the same way."""
    rows = []
    for (model, variant), by_option in _by_model(records).items():
        first = next(iter(by_option.values()))
        if first['baseline'] is None:
            continue
        rows.append((model, variant, first['baseline'], *(
            '-' if by_option.get(o, {}).get('speedup') is None else
            f'{by_option[o]["speedup"]:.2f}x' for o in options)))
    return _table(('model', 'variant', 'baseline', *options), rows)


def peer_ratios(records: List[Dict]) -> List[Dict]:
    """Ours (:data:`PEER_COUNTERPART`) against mmseg's FastFCN with the
    same head, per model and option: ``ratio`` > 1 means ours is faster."""
    index = _index(records)
    result = []
    for r in records:
        if r['variant'] != PEER:
            continue
        ours = index.get((r['model'], PEER_COUNTERPART, r['option']))
        if ours is not None:
            result.append(dict(model=r['model'], option=r['option'],
                               ours_ms=ours['latency_ms_median'],
                               peer_ms=r['latency_ms_median'],
                               ratio=ours['fps'] / r['fps']))
    return result


def peer_table(records: List[Dict]) -> str:
    """Latency of ours and of mmseg's FastFCN with the same head."""
    return _table(
        ('model', 'option', f'ours ({PEER_COUNTERPART}) ms', f'{PEER} ms',
         'ours / peer speed'),
        ((p['model'], p['option'], f'{p["ours_ms"]:.1f}',
          f'{p["peer_ms"]:.1f}', f'{p["ratio"]:.2f}x')
         for p in peer_ratios(records)))


def _exact(record: Dict) -> bool:
    return (record['dtype'] == 'float32'
            and record['max_rel_diff'] <= TOLERANCE
            and record['image_max_rel_diff'] <= TOLERANCE)


def _verdict(met: bool) -> str:
    return 'met' if met else 'NOT met'


def targets(records: List[Dict], environment: Dict) -> List[str]:
    """The issue's targets as this run measured them, one line each (only
    those whose models were measured)."""
    head, variant = TARGET_MODEL
    index = _index(records)
    candidates = [r for r in records
                  if r['head'] == head and r['variant'] == variant]
    if not candidates:
        return []
    depth = max(r['depth'] for r in candidates)
    model = f'{head}-r{depth}'
    ours = [r for r in candidates if r['depth'] == depth]
    plain = index[(model, variant, PLAIN)]
    lines = []
    exact = [r for r in ours if r['option'] != PLAIN and _exact(r)]
    best_exact = max(exact, key=lambda r: r['fps'], default=None)
    if best_exact:
        speedup = best_exact['fps'] / plain['fps']
        lines.append(
            f'{model} {variant}, best exact option ({best_exact["option"]}, '
            f'logits within {TOLERANCE:.0e} relative): {speedup:.2f}x over '
            f'fp32 eager (target >= {EXACT_SPEEDUP_TARGET}x): '
            f'{_verdict(speedup >= EXACT_SPEEDUP_TARGET)}')
    reduced = [r for r in ours if r['dtype'] != 'float32']
    if reduced:
        agreeing = [r for r in reduced if r['image_argmax_agreement'] >=
                    REDUCED_AGREEMENT_TARGET]
        best = max(agreeing or reduced, key=lambda r: r['fps'])
        speedup = best['fps'] / plain['fps']
        bf16 = environment.get('cpu_has_bf16')
        flags = [f for f in BF16_FLAGS
                 if f in environment.get('cpu_flags', [])]
        met = (speedup >= REDUCED_SPEEDUP_TARGET and best[
            'image_argmax_agreement'] >= REDUCED_AGREEMENT_TARGET)
        cpu = (f'this CPU has bf16 instructions ({", ".join(flags)})'
               if bf16 else
               'this CPU has no bf16 instructions, so the target does not '
               'apply')
        lines.append(
            f'{model} {variant}, best reduced-precision option '
            f'({best["option"]}): {speedup:.2f}x over fp32 eager with '
            f'{best["image_argmax_agreement"]:.2%} argmax agreement on the '
            f'photograph (target >= {REDUCED_SPEEDUP_TARGET}x and >= '
            f'{REDUCED_AGREEMENT_TARGET:.1%}; {cpu}): '
            + (_verdict(met) if bf16 else 'reported only'))
    if best_exact and best_exact.get('speedup') is not None:
        lines.append(
            f'{model} like for like ({plain["baseline"]} / {variant}) under '
            f'{best_exact["option"]}: {best_exact["speedup"]:.2f}x (target '
            f'>= {LIKE_FOR_LIKE_TARGET}x): '
            f'{_verdict(best_exact["speedup"] >= LIKE_FOR_LIKE_TARGET)}')
    slower = [p for p in peer_ratios(records) if p['ratio'] < 1]
    if any(r['variant'] == PEER for r in records):
        lines.append(
            f'ours ({PEER_COUNTERPART}) at least as fast as {PEER} with the '
            'same head on every option: ' + (
                'met' if not slower else 'NOT met: slower for ' + ', '.join(
                    f'{p["model"]} {p["option"]} ({p["ratio"]:.2f}x)'
                    for p in slower)))
    return lines


def markdown(models: List[Dict], necks: List[Dict], options: Sequence[str],
             environment: Dict) -> str:
    """The whole report."""
    versions = ''.join(f'; {name} {version}' for name, version in
                       environment['runtime_versions'].items())
    parts = [
        f'Device: {environment["device"]} ({environment["device_name"]}); '
        f'CPU: {environment["cpu_model"]}, flags '
        f'{" ".join(environment["cpu_key_flags"]) or "none of interest"}; '
        f'torch {environment["torch_version"]}{versions}; '
        f'{environment["threads"]} threads; input '
        f'{environment["input_size"][0]}x{environment["input_size"][1]}, '
        f'batch {environment["batch"]}.'
    ]
    if models:
        descriptions = {(r['model'], r['variant']): r['description']
                        for r in models}
        parts += [
            '### Models', _table(('model', 'variant', 'what it is'), (
                (*key, text) for key, text in descriptions.items())),
            '### Dilated vs stride-32 models (fp32, eager)',
            models_table(models)]
        if any('train_step_s_median' in r for r in models):
            parts += [
                f'### Training step (train_step, crop '
                f'{environment["train_crop"][0]}x'
                f'{environment["train_crop"][1]}, batch '
                f'{environment["train_batch"]})', training_table(models)]
        if len(options) > 1:
            parts += [
                '### Inference options (FPS, speed-up over fp32 eager)',
                options_table(models, options),
                '### Output differences (relative logit difference on noise '
                '/ on the photograph / argmax agreement on the photograph)',
                fidelity_table(models, options),
                '### Like for like: speed-up over the dilated baseline, both '
                'run the same way', like_for_like_table(models, options)]
        if any(r['variant'] == PEER for r in models):
            parts += ["### Ours vs mmseg's FastFCN with the same head",
                      peer_table(models)]
        lines = targets(models, environment)
        if lines:
            parts += ['### Targets', '\n'.join(f'- {line}' for line in lines)]
    if necks:
        parts += ['### JPU necks', necks_table(necks)]
    return '\n\n'.join(parts) + '\n'


def necks_table(records: List[Dict]) -> str:
    """Latency of the two JPU necks per pass."""
    header = ('neck', 'pass', 'latency ms (min-max)')
    rows = [(r['neck'], r['passes'],
             f'{r["latency_ms_median"]:.2f} ({r["latency_ms_min"]:.2f}-'
             f'{r["latency_ms_max"]:.2f})') for r in records]
    return _table(header, rows)


def write_json(path: Path, models: List[Dict], necks: List[Dict],
               environment: Dict) -> None:
    """The environment once, one record per (model, variant, option) and
    per (neck, pass), and the targets."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(
        dict(environment=environment, models=models, necks=necks,
             targets=targets(models, environment)), indent=2) + '\n')


def plot_fps(path: Path, records: List[Dict], title: str) -> None:
    """Bar chart of fp32 FPS per model, one bar per variant."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    plain = _plain(records)
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
