# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The benchmark's output: where it ran (``lscpu``'s model name and flags),
Markdown tables, the targets as measured, a JSON file and an FPS bar
chart."""
import contextlib
import datetime
import importlib
import json
import platform
import subprocess
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Sequence

import torch

from mmseg_jpu.deploy.onnx_export import TOLERANCE
from mmseg_jpu.deploy.quantization import INT8_CPU_FLAGS
from .inference_options import INT8, PLAIN, is_runtime
from .suite import PEER, PEER_COUNTERPART

#: CPU flags that decide what reduced precision can gain
KEY_CPU_FLAGS = ('avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'avx512_bf16',
                 'avx512_fp16', 'amx_tile', 'amx_bf16', 'amx_int8')
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')
#: the targets, for the official-head EncNet+JPU (``TARGET_MODEL``): the
#: best exact option over fp32 eager; the best bf16 or fp16 option
#: over fp32 eager, with its argmax agreement; like for like under the best
#: exact option; on a CPU with VNNI or AMX, int8 over the best fp32 runtime
#: and over fp32 eager; like for like under int8
TARGET_MODEL = ('enc', 'jpu-1x1')
EXACT_SPEEDUP_TARGET = 1.5
REDUCED_SPEEDUP_TARGET = 5.0
REDUCED_AGREEMENT_TARGET = 0.995
LIKE_FOR_LIKE_TARGET = 2.5
INT8_OVER_RUNTIME_TARGET = 2.5
INT8_OVER_EAGER_TARGET = 4.0
INT8_LIKE_FOR_LIKE_TARGET = 1.9


def cpu_description() -> Dict:
    """``lscpu``'s model name and flags."""
    try:
        text = subprocess.run(['lscpu'], capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        text = ''
    fields = {key.strip(): value.strip() for key, _, value in
              (line.partition(':') for line in text.splitlines())}
    flags = fields.get('Flags', '').split()
    return dict(
        cpu_model=fields.get('Model name') or platform.processor() or
        platform.machine(),
        cpu_flags=flags,
        cpu_key_flags=[f for f in KEY_CPU_FLAGS if f in flags],
        cpu_has_bf16=any(f in flags for f in BF16_FLAGS))


def environment(args) -> Dict:
    """What every record carries about where and how it was measured."""
    device = torch.device(args.device)
    versions = {}
    for name in ('onnxruntime', 'openvino'):
        with contextlib.suppress(ImportError):
            versions[name] = importlib.import_module(name).__version__
    return dict(
        device=str(device),
        device_name=(torch.cuda.get_device_name(device)
                     if device.type == 'cuda' else 'cpu'),
        **cpu_description(),
        torch_version=torch.__version__,
        runtime_versions=versions,
        threads=torch.get_num_threads(),
        input_size=list(args.size),
        batch=args.batch,
        train_crop=list(args.train_crop),
        train_batch=args.train_batch,
        image=Path(args.image).name,
        skipped_options=dict(args.skipped),
        date=datetime.date.today().isoformat())


def _ratio(value) -> str:
    return '' if value is None else f' ({value:.2f}x)'


def _mem(record: Dict, mode: str) -> str:
    value = record.get(f'{mode}_mem_mib')
    return '-' if value is None else (
        f'{value:.0f}{_ratio(record[f"{mode}_mem_ratio"])}')


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    return '\n'.join(lines + ['| ' + ' | '.join(row) + ' |' for row in rows])


def _plain(records: List[Dict]) -> List[Dict]:
    return [r for r in records if r['option'] == PLAIN]


def models_table(records: List[Dict]) -> str:
    """fp32 eager figures and their ratios to the dilated baseline."""
    return _table(
        ('model', 'variant', 'baseline', 'latency ms (min-max)',
         'FPS (speed-up)', 'GFLOPs (ratio)', 'params M',
         'inference MiB (ratio)', 'training MiB (ratio)',
         'backbone / neck / head ms'),
        ((r['model'], r['variant'], r['baseline'] or '-',
          f'{r["latency_ms_median"]:.1f} ({r["latency_ms_min"]:.1f}-'
          f'{r["latency_ms_max"]:.1f})',
          f'{r["fps"]:.2f}{_ratio(r["speedup"])}',
          f'{r["gflops"]:.1f}{_ratio(r["gflops_ratio"])}',
          f'{r["params_m"]:.1f}', _mem(r, 'inference'), _mem(r, 'training'),
          f'{r["backbone_ms"]:.0f} / {r["neck_ms"]:.0f} / '
          f'{r["head_ms"]:.0f}') for r in _plain(records)))


def training_table(records: List[Dict]) -> str:
    """Seconds per training step and the speed-up over the baseline."""
    return _table(
        ('model', 'variant', 'baseline', 'train step s (min-max)',
         'speed-up'),
        ((r['model'], r['variant'], r['baseline'] or '-',
          f'{r["train_step_s_median"]:.2f} ({r["train_step_s_min"]:.2f}-'
          f'{r["train_step_s_max"]:.2f})',
          '-' if r['train_speedup'] is None else f'{r["train_speedup"]:.2f}x')
         for r in _plain(records)))


def _per_option(records: List[Dict], options: Sequence[str],
                cell: Callable[[Dict, Dict], str],
                with_baseline: bool = False) -> List[List[str]]:
    """One row per model and variant, one ``cell(record, fp32 record)`` per
    option; ``with_baseline``: only models with a baseline, named in a
    column of their own."""
    by_model: Dict = {}
    for r in records:
        by_model.setdefault((r['model'], r['variant']), {})[r['option']] = r
    rows = []
    for key, by_option in by_model.items():
        plain = by_option[PLAIN]
        if with_baseline and plain['baseline'] is None:
            continue
        rows.append([*key, *([plain['baseline']] if with_baseline else []),
                     *('-' if o not in by_option else
                       cell(by_option[o], plain) for o in options)])
    return rows


def options_table(records: List[Dict], options: Sequence[str]) -> str:
    """FPS per inference option and its speed-up over fp32 eager."""
    return _table(('model', 'variant', *options), _per_option(
        records, options, lambda r, plain: f'{r["fps"]:.2f}' + (
            '' if r is plain else _ratio(r['fps'] / plain['fps']))))


def fidelity_table(records: List[Dict], options: Sequence[str]) -> str:
    """Per option, the largest logit difference relative to the largest
    fp32 logit on noise and on the photograph, and the share of the
    photograph's pixels whose class is unchanged."""
    return _table(('model', 'variant', *options[1:]), _per_option(
        records, options[1:], lambda r, _: (
            f'{r["max_rel_diff"]:.1e} / {r["image_max_rel_diff"]:.1e} / '
            f'{r["image_argmax_agreement"]:.2%}')))


def like_for_like_table(records: List[Dict], options: Sequence[str]) -> str:
    """Speed-up over the baseline (same head) under each option: both
    models run the same way."""
    return _table(('model', 'variant', 'baseline', *options), _per_option(
        records, options, lambda r, _: '-' if r['speedup'] is None else
        f'{r["speedup"]:.2f}x', with_baseline=True))


def peer_ratios(records: List[Dict]) -> List[Dict]:
    """Ours (:data:`PEER_COUNTERPART`) against mmseg's FastFCN with the
    same head, per model and option: ``ratio`` > 1 means ours is faster."""
    ours = {(r['model'], r['option']): r for r in records
            if r['variant'] == PEER_COUNTERPART}
    result = []
    for r in records:
        mine = ours.get((r['model'], r['option']))
        if r['variant'] == PEER and mine:
            result.append(dict(model=r['model'], option=r['option'],
                               ours_ms=mine['latency_ms_median'],
                               peer_ms=r['latency_ms_median'],
                               ratio=mine['fps'] / r['fps']))
    return result


def peer_table(records: List[Dict]) -> str:
    """Latency of ours and of mmseg's FastFCN with the same head."""
    return _table(
        ('model', 'option', f'ours ({PEER_COUNTERPART}) ms', f'{PEER} ms',
         'ours / peer speed'),
        ((p['model'], p['option'], f'{p["ours_ms"]:.1f}',
          f'{p["peer_ms"]:.1f}', f'{p["ratio"]:.2f}x')
         for p in peer_ratios(records)))


def _verdict(met: bool) -> str:
    return 'met' if met else 'NOT met'


def targets(records: List[Dict], environment: Dict) -> List[str]:
    """The targets as this run measured them, one line each (those whose
    models were measured)."""
    head, variant = TARGET_MODEL
    ours = [r for r in records if (r['head'], r['variant']) == TARGET_MODEL]
    depth = max((r['depth'] for r in ours), default=101)
    ours = [r for r in ours if r['depth'] == depth]
    lines = (_speed_targets(f'{head}-r{depth}', variant, ours, environment)
             if ours else [])
    lines += _int8_targets(f'{head}-r{depth}', variant, ours, environment)
    if any(r['variant'] == PEER for r in records):
        slower = [p for p in peer_ratios(records) if p['ratio'] < 1]
        lines.append(
            f'ours ({PEER_COUNTERPART}) at least as fast as {PEER} with the '
            'same head on every option: ' + (
                'met' if not slower else 'NOT met: slower for ' + ', '.join(
                    f'{p["model"]} {p["option"]} ({p["ratio"]:.2f}x)'
                    for p in slower)))
    return lines


def _speed_targets(model: str, variant: str, ours: List[Dict],
                   environment: Dict) -> List[str]:
    """The speed-up targets of ``ours`` (one model's records)."""
    plain = next(r for r in ours if r['option'] == PLAIN)
    exact = [r for r in ours if r['option'] != PLAIN and r['dtype'] ==
             'float32' and max(r['max_rel_diff'],
                               r['image_max_rel_diff']) <= TOLERANCE]
    best_exact = max(exact, key=lambda r: r['fps'], default=None)
    lines = []
    if best_exact:
        speedup = best_exact['fps'] / plain['fps']
        lines.append(
            f'{model} {variant}, best exact option ({best_exact["option"]}, '
            f'logits within {TOLERANCE:.0e} relative): {speedup:.2f}x over '
            f'fp32 eager (target >= {EXACT_SPEEDUP_TARGET}x): '
            f'{_verdict(speedup >= EXACT_SPEEDUP_TARGET)}')
    # int8 has targets of its own (_int8_targets)
    reduced = [r for r in ours if r['dtype'] in ('bfloat16', 'float16')]
    if reduced:
        agreeing = [r for r in reduced if r['image_argmax_agreement'] >=
                    REDUCED_AGREEMENT_TARGET]
        best = max(agreeing or reduced, key=lambda r: r['fps'])
        speedup = best['fps'] / plain['fps']
        flags = [f for f in BF16_FLAGS if f in environment['cpu_flags']]
        cpu = (f'this CPU has bf16 instructions ({", ".join(flags)})'
               if environment['cpu_has_bf16'] else 'this CPU has no bf16 '
               'instructions, so the target does not apply')
        met = (speedup >= REDUCED_SPEEDUP_TARGET and
               best['image_argmax_agreement'] >= REDUCED_AGREEMENT_TARGET)
        lines.append(
            f'{model} {variant}, best reduced-precision option '
            f'({best["option"]}): {speedup:.2f}x over fp32 eager with '
            f'{best["image_argmax_agreement"]:.2%} argmax agreement on the '
            f'photograph (target >= {REDUCED_SPEEDUP_TARGET}x and >= '
            f'{REDUCED_AGREEMENT_TARGET:.1%}; {cpu}): ' +
            (_verdict(met) if environment['cpu_has_bf16'] else
             'reported only'))
    if best_exact and best_exact.get('speedup') is not None:
        lines.append(
            f'{model} like for like ({plain["baseline"]} / {variant}) under '
            f'{best_exact["option"]}: {best_exact["speedup"]:.2f}x (target '
            f'>= {LIKE_FOR_LIKE_TARGET}x): '
            f'{_verdict(best_exact["speedup"] >= LIKE_FOR_LIKE_TARGET)}')
    return lines


def _int8_targets(model: str, variant: str, ours: List[Dict],
                  environment: Dict) -> List[str]:
    """The int8 targets of ``ours`` (one model's records): over the best
    fp32 runtime and fp32 eager, and like for like."""
    int8 = next((r for r in ours if r['option'] == INT8), None)
    runtimes = [r for r in ours if is_runtime(r['option']) and
                r['dtype'] == 'float32']
    if int8 is None or not runtimes:
        return [f'{model} {variant} {INT8} over the best fp32 runtime, over '
                'fp32 eager and like for like: not measured (it needs this '
                f'model, {INT8} and onnxruntime or openvino)']
    best = max(runtimes, key=lambda r: r['fps'])
    over_runtime = int8['fps'] / best['fps']
    over_eager = int8['fps'] / next(
        r['fps'] for r in ours if r['option'] == PLAIN)
    flags = [f for f in INT8_CPU_FLAGS if f in environment['cpu_flags']]
    cpu = (f'this CPU has {", ".join(flags)}' if flags else 'this CPU has no '
           'VNNI or AMX, so the target does not apply')
    met = (over_runtime >= INT8_OVER_RUNTIME_TARGET and
           over_eager >= INT8_OVER_EAGER_TARGET)
    like = int8['speedup']
    like_verdict = ('not measured (it needs the baseline)' if like is None
                    else f'{like:.2f}x (target >= {INT8_LIKE_FOR_LIKE_TARGET}'
                    f'x): {_verdict(like >= INT8_LIKE_FOR_LIKE_TARGET)}')
    return [
        f'{model} {variant} {INT8}: {over_runtime:.2f}x over the best fp32 '
        f'runtime ({best["option"]}) and {over_eager:.2f}x over fp32 eager '
        f'(target >= {INT8_OVER_RUNTIME_TARGET}x and >= '
        f'{INT8_OVER_EAGER_TARGET}x; {cpu}): '
        f'{_verdict(met) if flags else "reported only"}',
        f'{model} like for like ({int8["baseline"]} / {variant}) under '
        f'{INT8}: {like_verdict}']


def markdown(models: List[Dict], options: Sequence[str],
             environment: Dict) -> str:
    """The whole report."""
    env = environment
    versions = ''.join(f'; {name} {version}'
                       for name, version in env['runtime_versions'].items())
    parts = [
        f'Device: {env["device"]} ({env["device_name"]}); CPU: '
        f'{env["cpu_model"]}, flags '
        f'{" ".join(env["cpu_key_flags"]) or "none of interest"}; torch '
        f'{env["torch_version"]}{versions}; {env["threads"]} threads; input '
        f'{env["input_size"][0]}x{env["input_size"][1]}, batch '
        f'{env["batch"]}.'
    ] + [f'Skipped {option}: {reason}'
         for option, reason in env['skipped_options'].items()]
    if INT8 in options and not set(INT8_CPU_FLAGS) & set(env['cpu_flags']):
        parts.append(f'{INT8}: this CPU has no VNNI or AMX '
                     f'({", ".join(INT8_CPU_FLAGS)}): int8 runs, slowly.')
    parts += ['### Dilated vs stride-32 models (fp32, eager)',
              models_table(models)]
    if 'train_step_s_median' in models[0]:
        parts += [f'### Training step (train_step, crop '
                  f'{env["train_crop"][0]}x{env["train_crop"][1]}, '
                  f'batch {env["train_batch"]})', training_table(models)]
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
    lines = targets(models, env)
    if lines:
        parts += ['### Targets', '\n'.join(f'- {line}' for line in lines)]
    return '\n\n'.join(parts) + '\n'


def write_json(path: Path, models: List[Dict], environment: Dict) -> None:
    """The environment once, one record per (model, variant, option), and
    the targets."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(
        dict(environment=environment, models=models,
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
        axes.bar([m + (i - (len(variants) - 1) / 2) * width
                  for m, name in enumerate(models) if name in fps],
                 [fps[name] for name in models if name in fps], width,
                 label=variant)
    axes.set_xticks(range(len(models)), models)
    axes.set_ylabel('FPS (fp32, eager)')
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
