# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The benchmark's output: where it ran, Markdown tables, the targets as
measured, a JSON file and an FPS bar chart."""
import contextlib
import datetime
import importlib
import json
import os
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
#: the model the targets are measured on: EncNet+JPU, the official head
TARGET_MODEL = ('enc', 'jpu-1x1')
EXACT_SPEEDUP_TARGET = 1.5
REDUCED_SPEEDUP_TARGET = 5.0
REDUCED_AGREEMENT_TARGET = 0.995
LIKE_FOR_LIKE_TARGET = 2.5
INT8_OVER_RUNTIME_TARGET = 2.5
INT8_OVER_EAGER_TARGET = 4.0
INT8_LIKE_FOR_LIKE_TARGET = 1.9


def environment(args) -> Dict:
    """Where and how the records were measured: the device, ``lscpu``'s
    model name and flags, the versions, threads and sizes."""
    try:
        text = subprocess.run(['lscpu'], capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        text = ''
    fields = {key.strip(): value.strip() for key, _, value in
              (line.partition(':') for line in text.splitlines())}
    flags = fields.get('Flags', '').split()
    versions = {}
    for name in ('onnxruntime', 'openvino'):
        with contextlib.suppress(ImportError):
            versions[name] = importlib.import_module(name).__version__
    device = torch.device(args.device)
    return dict(
        device=str(device),
        device_name=(torch.cuda.get_device_name(device)
                     if device.type == 'cuda' else 'cpu'),
        cpu_model=fields.get('Model name') or platform.machine(),
        cpu_flags=flags,
        cpu_key_flags=[f for f in KEY_CPU_FLAGS if f in flags],
        cpu_has_bf16=any(f in flags for f in BF16_FLAGS),
        torch_version=torch.__version__, runtime_versions=versions,
        threads=torch.get_num_threads(), input_size=list(args.size),
        batch=args.batch, train_crop=list(args.train_crop),
        train_batch=args.train_batch, image=Path(args.image).name,
        skipped_options=dict(args.skipped),
        onednn_max_cpu_isa=os.environ.get('ONEDNN_MAX_CPU_ISA'),
        date=datetime.date.today().isoformat())


def table(columns: Dict[str, Callable[[Dict], str]],
          rows: Iterable[Dict]) -> str:
    """A Markdown table with one column per item of ``columns``: its header
    and the function giving its cell in a row."""
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(cell(row) for cell in columns.values()) +
              ' |' for row in rows]
    return '\n'.join(lines)


def _with_ratio(key: str, ratio: str, digits: int) -> Callable[[Dict], str]:
    return lambda r: '-' if r.get(key) is None else f'{r[key]:.{digits}f}' + (
        '' if r[ratio] is None else f' ({r[ratio]:.2f}x)')


def _times(value: float) -> str:
    return '-' if value is None else f'{value:.2f}x'


ROW = {'model': '{model}'.format_map, 'variant': '{variant}'.format_map,
       'baseline': lambda r: r['baseline'] or '-'}
MODEL_COLUMNS = {
    **ROW,
    'latency ms (min-max)':
    '{latency_ms_median:.1f} ({latency_ms_min:.1f}-{latency_ms_max:.1f})'
    .format_map,
    'FPS (speed-up)': _with_ratio('fps', 'speedup', 2),
    'GFLOPs (ratio)': _with_ratio('gflops', 'gflops_ratio', 1),
    'params M': '{params_m:.1f}'.format_map,
    'inference MiB (ratio)':
    _with_ratio('inference_mem_mib', 'inference_mem_ratio', 0),
    'training MiB (ratio)':
    _with_ratio('training_mem_mib', 'training_mem_ratio', 0),
    'backbone / neck / head ms':
    '{backbone_ms:.0f} / {neck_ms:.0f} / {head_ms:.0f}'.format_map,
}
TRAINING_COLUMNS = {
    **ROW,
    'train step s (min-max)': '{train_step_s_median:.2f} '
    '({train_step_s_min:.2f}-{train_step_s_max:.2f})'.format_map,
    'speed-up': lambda r: _times(r['train_speedup']),
}
PEER_COLUMNS = {
    'model': '{model}'.format_map,
    'option': '{option}'.format_map,
    f'ours ({PEER_COUNTERPART}) ms': '{ours_ms:.1f}'.format_map,
    f'{PEER} ms': '{peer_ms:.1f}'.format_map,
    'ours / peer speed': '{ratio:.2f}x'.format_map,
}

#: the tables with a column per option: title, cell(record, fp32 record),
#: the first option shown, whether only models with a baseline are shown
OPTION_TABLES = (
    ('Inference options (FPS, speed-up over fp32 eager)',
     lambda r, plain: f'{r["fps"]:.2f}' + (
         '' if r is plain else f' ({r["fps"] / plain["fps"]:.2f}x)'), 0,
     False),
    ('Output differences (relative logit difference on noise / on the '
     'photograph / argmax agreement on the photograph)',
     lambda r, _: '{max_rel_diff:.1e} / {image_max_rel_diff:.1e} / '
     '{image_argmax_agreement:.2%}'.format_map(r), 1, False),
    ('Like for like: speed-up over the dilated baseline, both run the same '
     'way', lambda r, _: _times(r['speedup']), 0, True),
)


def option_table(records: List[Dict], options: Sequence[str],
                 cell: Callable[[Dict, Dict], str],
                 with_baseline: bool = False) -> str:
    """One row per model and variant (``with_baseline``: those with a
    baseline, named in a column), one ``cell(record, fp32 record)`` per
    option."""
    by_model: Dict = {}
    for r in records:
        by_model.setdefault((r['model'], r['variant']), {})[r['option']] = r
    columns = dict(ROW) if with_baseline else dict(list(ROW.items())[:2])
    for option in options:
        columns[option] = (lambda row, o=option: '-' if o not in row['by']
                           else cell(row['by'][o], row['by'][PLAIN]))
    return table(columns, (dict(by[PLAIN], by=by) for by in by_model.values()
                           if by[PLAIN]['baseline'] or not with_baseline))


def peer_ratios(records: List[Dict]) -> List[Dict]:
    """Ours (:data:`PEER_COUNTERPART`) against mmseg's FastFCN with the
    same head, per model and option: ``ratio`` > 1 means ours is faster."""
    ours = {(r['model'], r['option']): r for r in records
            if r['variant'] == PEER_COUNTERPART}
    pairs = [(ours.get((r['model'], r['option'])), r) for r in records
             if r['variant'] == PEER]
    return [dict(model=r['model'], option=r['option'],
                 ours_ms=mine['latency_ms_median'],
                 peer_ms=r['latency_ms_median'], ratio=mine['fps'] / r['fps'])
            for mine, r in pairs if mine]


def _verdict(met: bool) -> str:
    return 'met' if met else 'NOT met'


def targets(records: List[Dict], environment: Dict) -> List[str]:
    """The targets as this run measured them, one line each."""
    head, variant = TARGET_MODEL
    ours = [r for r in records if (r['head'], r['variant']) == TARGET_MODEL]
    depth = max((r['depth'] for r in ours), default=101)
    ours = {r['option']: r for r in ours if r['depth'] == depth}
    model = f'{head}-r{depth}'
    lines = (_speed_targets(model, variant, ours, environment)
             if ours else []) + _int8_targets(model, variant, ours,
                                              environment)
    if any(r['variant'] == PEER for r in records):
        slower = ', '.join(f'{p["model"]} {p["option"]} ({p["ratio"]:.2f}x)'
                           for p in peer_ratios(records) if p['ratio'] < 1)
        lines.append(f'ours ({PEER_COUNTERPART}) at least as fast as {PEER} '
                     'with the same head on every option: ' +
                     (f'NOT met: slower for {slower}' if slower else 'met'))
    return lines


def _speed_targets(model: str, variant: str, ours: Dict[str, Dict],
                   environment: Dict) -> List[str]:
    """The targets of the best exact and reduced-precision options."""
    plain, lines = ours[PLAIN], []
    best = max((r for o, r in ours.items() if o != PLAIN and r['dtype'] ==
                'float32' and max(r['max_rel_diff'], r['image_max_rel_diff'])
                <= TOLERANCE), key=lambda r: r['fps'], default=None)
    if best:
        speedup = best['fps'] / plain['fps']
        lines.append(
            f'{model} {variant}, best exact option ({best["option"]}, logits '
            f'within {TOLERANCE:.0e} relative): {speedup:.2f}x over fp32 '
            f'eager (target >= {EXACT_SPEEDUP_TARGET}x): '
            f'{_verdict(speedup >= EXACT_SPEEDUP_TARGET)}')
    reduced = [r for r in ours.values()
               if r['dtype'] in ('bfloat16', 'float16')]
    if reduced:
        agreeing = [r for r in reduced if r['image_argmax_agreement'] >=
                    REDUCED_AGREEMENT_TARGET]
        fastest = max(agreeing or reduced, key=lambda r: r['fps'])
        speedup = fastest['fps'] / plain['fps']
        flags = ', '.join(f for f in BF16_FLAGS
                          if f in environment['cpu_flags'])
        cpu = (f'this CPU has bf16 instructions ({flags})'
               if environment['cpu_has_bf16'] else 'this CPU has no bf16 '
               'instructions, so the target does not apply')
        met = (speedup >= REDUCED_SPEEDUP_TARGET and
               fastest['image_argmax_agreement'] >= REDUCED_AGREEMENT_TARGET)
        lines.append(
            f'{model} {variant}, best reduced-precision option '
            f'({fastest["option"]}): {speedup:.2f}x over fp32 eager with '
            f'{fastest["image_argmax_agreement"]:.2%} argmax agreement on the '
            f'photograph (target >= {REDUCED_SPEEDUP_TARGET}x and >= '
            f'{REDUCED_AGREEMENT_TARGET:.1%}; {cpu}): ' +
            (_verdict(met) if environment['cpu_has_bf16'] else
             'reported only'))
    if best and best.get('speedup') is not None:
        lines.append(
            f'{model} like for like ({plain["baseline"]} / {variant}) under '
            f'{best["option"]}: {best["speedup"]:.2f}x (target >= '
            f'{LIKE_FOR_LIKE_TARGET}x): '
            f'{_verdict(best["speedup"] >= LIKE_FOR_LIKE_TARGET)}')
    return lines


def _int8_targets(model: str, variant: str, ours: Dict[str, Dict],
                  environment: Dict) -> List[str]:
    """The int8 targets: over the best fp32 runtime and fp32 eager, and
    like for like."""
    int8 = ours.get(INT8)
    runtimes = [r for o, r in ours.items()
                if is_runtime(o) and r['dtype'] == 'float32']
    if int8 is None or not runtimes:
        return [f'{model} {variant} {INT8} over the best fp32 runtime, over '
                'fp32 eager and like for like: not measured (it needs this '
                f'model, {INT8} and onnxruntime or openvino)']
    best = max(runtimes, key=lambda r: r['fps'])
    over_runtime = int8['fps'] / best['fps']
    over_eager = int8['fps'] / ours[PLAIN]['fps']
    flags = ', '.join(f for f in INT8_CPU_FLAGS
                      if f in environment['cpu_flags'])
    cpu = (f'this CPU has {flags}' if flags else 'this CPU has no VNNI or '
           'AMX, so the target does not apply')
    met = (over_runtime >= INT8_OVER_RUNTIME_TARGET and
           over_eager >= INT8_OVER_EAGER_TARGET)
    like = int8['speedup']
    return [
        f'{model} {variant} {INT8}: {over_runtime:.2f}x over the best fp32 '
        f'runtime ({best["option"]}) and {over_eager:.2f}x over fp32 eager '
        f'(target >= {INT8_OVER_RUNTIME_TARGET}x and >= '
        f'{INT8_OVER_EAGER_TARGET}x; {cpu}): '
        f'{_verdict(met) if flags else "reported only"}',
        f'{model} like for like ({int8["baseline"]} / {variant}) under '
        f'{INT8}: ' + ('not measured (it needs the baseline)' if like is None
                       else f'{like:.2f}x (target >= '
                       f'{INT8_LIKE_FOR_LIKE_TARGET}x): '
                       f'{_verdict(like >= INT8_LIKE_FOR_LIKE_TARGET)}')]


def markdown(models: List[Dict], options: Sequence[str],
             environment: Dict) -> str:
    """The whole report."""
    env = environment
    versions = ''.join(f'; {name} {version}'
                       for name, version in env['runtime_versions'].items())
    plain = [r for r in models if r['option'] == PLAIN]
    parts = [
        f'Device: {env["device"]} ({env["device_name"]}); CPU: '
        f'{env["cpu_model"]}, flags '
        f'{" ".join(env["cpu_key_flags"]) or "none of interest"}; torch '
        f'{env["torch_version"]}{versions}; {env["threads"]} threads; input '
        f'{env["input_size"][0]}x{env["input_size"][1]}, batch '
        f'{env["batch"]}.'
    ] + [f'Skipped {option}: {reason}'
         for option, reason in env['skipped_options'].items()]
    if env.get('onednn_max_cpu_isa'):
        parts.append(f'ONEDNN_MAX_CPU_ISA={env["onednn_max_cpu_isa"]}: '
                     'oneDNN (in torch and OpenVINO) uses no instructions '
                     'beyond this set, whatever the flags above.')
    if INT8 in options and not set(INT8_CPU_FLAGS) & set(env['cpu_flags']):
        parts.append(f'{INT8}: this CPU has no VNNI or AMX '
                     f'({", ".join(INT8_CPU_FLAGS)}): int8 runs, slowly.')
    parts += ['### Dilated vs stride-32 models (fp32, eager)',
              table(MODEL_COLUMNS, plain)]
    if 'train_step_s_median' in models[0]:
        parts += [f'### Training step (train_step, crop '
                  f'{env["train_crop"][0]}x{env["train_crop"][1]}, '
                  f'batch {env["train_batch"]})',
                  table(TRAINING_COLUMNS, plain)]
    if len(options) > 1:
        for title, cell, first, with_baseline in OPTION_TABLES:
            parts += [f'### {title}', option_table(
                models, options[first:], cell, with_baseline)]
    if any(r['variant'] == PEER for r in models):
        parts += ["### Ours vs mmseg's FastFCN with the same head",
                  table(PEER_COLUMNS, peer_ratios(models))]
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
    plain = [r for r in records if r['option'] == PLAIN]
    models = list(dict.fromkeys(r['model'] for r in plain))
    variants = list(dict.fromkeys(r['variant'] for r in plain))
    width = 0.8 / len(variants)
    figure, axes = plt.subplots(figsize=(1.6 * len(models) + 3, 4))
    for i, variant in enumerate(variants):
        bars = [(models.index(r['model']), r['fps']) for r in plain
                if r['variant'] == variant]
        axes.bar([m + (i - (len(variants) - 1) / 2) * width
                  for m, _ in bars], [fps for _, fps in bars], width,
                 label=variant)
    axes.set_xticks(range(len(models)), models)
    axes.set_ylabel('FPS (fp32, eager)')
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
