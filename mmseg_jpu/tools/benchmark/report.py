# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The benchmark's output: the environment, Markdown tables, the targets
as measured, a JSON file and an FPS bar chart."""
import importlib.util
import os
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Sequence, Tuple

import mmengine
import torch

from mmseg_jpu.deploy.onnx_export import TOLERANCE
from mmseg_jpu.deploy.quantization import INT8_CPU_FLAGS, int8_instructions
from mmseg_jpu.utils.cpu_info import cpu_model_and_flags
from .inference_options import INT8, PLAIN, RUNTIMES
from .suite import PEER, PEER_COUNTERPART

KEY_CPU_FLAGS = ('avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'avx512_bf16',
                 'avx512_fp16', 'amx_tile', 'amx_bf16', 'amx_int8')
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')
#: the targets' model (EncNet+JPU, the official head) and thresholds
TARGET_MODEL = ('enc', 'jpu-1x1')
EXACT, REDUCED, AGREEMENT, LIKE_FOR_LIKE = 1.5, 5.0, 0.995, 2.5
INT8_OVER_RUNTIME, INT8_OVER_EAGER, INT8_LIKE_FOR_LIKE = 2.5, 4.0, 1.9


def environment(args) -> Dict:
    """The device, the CPU's model name and flags, versions and sizes."""
    device = torch.device(args.device)
    cpu_model, cpu_flags = cpu_model_and_flags()
    return dict(
        device=(f'{device} ({torch.cuda.get_device_name(device)})'
                if device.type == 'cuda' else 'cpu'),
        cpu_model=cpu_model, cpu_flags=cpu_flags,
        torch_version=torch.__version__,
        runtime_versions={
            name: importlib.import_module(name).__version__
            for name in ('onnxruntime', 'openvino')
            if importlib.util.find_spec(name)
        },
        threads=args.threads, input_size=list(args.size),
        batch=args.batch, train_crop=list(args.train_crop),
        train_batch=args.train_batch, skipped_options=args.skipped,
        onednn_max_cpu_isa=os.environ.get('ONEDNN_MAX_CPU_ISA'))


def table(columns: Dict[str, Callable[[Dict], str]],
          rows: Iterable[Dict]) -> str:
    """A Markdown table: header -> the function giving its cell in a row."""
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(cell(row) for cell in columns.values()) +
              ' |' for row in rows]
    return '\n'.join(lines)


def _times(value: float) -> str:
    return '-' if value is None else f'{value:.2f}x'


def _with_ratio(key: str, ratio: str, digits: int) -> Callable[[Dict], str]:
    return lambda r: '-' if r.get(key) is None else f'{r[key]:.{digits}f}' + (
        '' if r[ratio] is None else f' ({r[ratio]:.2f}x)')


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
#: a column per option: title, cell(record, fp32 record), first option,
#: whether to show only the models with a baseline
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
                 with_baseline: bool) -> str:
    """A row per model and variant, a ``cell`` per option."""
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
    """Ours against mmseg's FastFCN per model and option (ratio > 1: ours
    is faster)."""
    ours = {(r['model'], r['option']): r for r in records
            if r['variant'] == PEER_COUNTERPART}
    pairs = [(ours.get((r['model'], r['option'])), r) for r in records
             if r['variant'] == PEER]
    return [dict(model=r['model'], option=r['option'],
                 ours_ms=mine['latency_ms_median'],
                 peer_ms=r['latency_ms_median'], ratio=mine['fps'] / r['fps'])
            for mine, r in pairs if mine]


def _target(measured: str, checks: Sequence[Tuple[float, float]],
            needs: str = '', found: Sequence[str] = ()) -> str:
    """``measured (target >= ...): verdict`` of ``checks`` (value,
    threshold; a threshold below 1 is a share); a target that ``needs``
    instructions of which this CPU has none of ``found`` is reported only.
    """
    target = ' and >= '.join(f'{t:.1%}' if t < 1 else f'{t}x'
                             for _, t in checks)
    if needs and not found:
        return (f'{measured} (target >= {target}; this CPU has no {needs}, '
                'so the target does not apply): reported only')
    note = f'; this CPU has {needs} ({", ".join(found)})' if needs else ''
    met = all(value >= threshold for value, threshold in checks)
    return f'{measured} (target >= {target}{note}): ' + (
        'met' if met else 'NOT met')


def targets(records: List[Dict], environment: Dict) -> List[str]:
    """The targets as this run measured them, one line each."""
    head, variant = TARGET_MODEL
    ours = [r for r in records if (r['head'], r['variant']) == TARGET_MODEL]
    depth = max((r['depth'] for r in ours), default=101)
    ours = {r['option']: r for r in ours if r['depth'] == depth}
    name, lines = f'{head}-r{depth}', []
    flags = environment.get('cpu_flags', [])

    def eager(record: Dict) -> float:
        return record['fps'] / ours[PLAIN]['fps']

    def like_for_like(record: Dict, threshold: float) -> str:
        return _target(
            f'{name} like for like ({record["baseline"]} / {variant}) under '
            f'{record["option"]}: {record["speedup"]:.2f}x',
            [(record['speedup'], threshold)])

    exact = max((r for o, r in ours.items() if o != PLAIN and r['dtype'] ==
                 'float32' and max(r['max_rel_diff'], r['image_max_rel_diff'])
                 <= TOLERANCE), key=lambda r: r['fps'], default=None)
    if exact:
        lines.append(_target(
            f'{name} {variant}, best exact option ({exact["option"]}, logits '
            f'within {TOLERANCE:.0e} relative): {eager(exact):.2f}x over fp32 '
            'eager', [(eager(exact), EXACT)]))
    reduced = [r for r in ours.values()
               if r['dtype'] in ('bfloat16', 'float16')]
    if reduced:
        best = max([r for r in reduced if r['image_argmax_agreement'] >=
                    AGREEMENT] or reduced, key=lambda r: r['fps'])
        agreement = best['image_argmax_agreement']
        lines.append(_target(
            f'{name} {variant}, best reduced-precision option '
            f'({best["option"]}): {eager(best):.2f}x over fp32 eager with '
            f'{agreement:.2%} argmax agreement on the photograph',
            [(eager(best), REDUCED), (agreement, AGREEMENT)],
            'bf16 instructions', [f for f in BF16_FLAGS if f in flags]))
    if exact:
        lines.append(like_for_like(exact, LIKE_FOR_LIKE))
    runtimes = [r for o, r in ours.items()
                if o in RUNTIMES and r['dtype'] == 'float32']
    if INT8 in ours and runtimes:
        int8, best = ours[INT8], max(runtimes, key=lambda r: r['fps'])
        over_runtime = int8['fps'] / best['fps']
        lines += [_target(
            f'{name} {variant} {INT8}: {over_runtime:.2f}x over the best fp32 '
            f'runtime ({best["option"]}) and {eager(int8):.2f}x over fp32 '
            'eager', [(over_runtime, INT8_OVER_RUNTIME),
                      (eager(int8), INT8_OVER_EAGER)], 'VNNI or AMX',
            int8_instructions(flags)),
                  like_for_like(int8, INT8_LIKE_FOR_LIKE)]
    else:
        lines.append(f'{name} {variant} {INT8} over the best fp32 runtime, '
                     'over fp32 eager and like for like: not measured (it '
                     f'needs this model, {INT8} and onnxruntime or openvino)')
    if any(r['variant'] == PEER for r in records):
        slower = ', '.join(f'{p["model"]} {p["option"]} ({p["ratio"]:.2f}x)'
                           for p in peer_ratios(records) if p['ratio'] < 1)
        lines.append(f'ours ({PEER_COUNTERPART}) at least as fast as {PEER} '
                     'with the same head on every option: ' +
                     (f'NOT met: slower for {slower}' if slower else 'met'))
    return lines


def markdown(models: List[Dict], options: Sequence[str],
             environment: Dict) -> str:
    """The whole report."""
    env = environment
    flags = [f for f in KEY_CPU_FLAGS if f in env['cpu_flags']]
    versions = ''.join(f'; {name} {version}'
                       for name, version in env['runtime_versions'].items())
    plain = [r for r in models if r['option'] == PLAIN]
    parts = [
        f'Device: {env["device"]}; CPU: {env["cpu_model"]}, flags '
        f'{" ".join(flags) or "none of interest"}; torch '
        f'{env["torch_version"]}{versions}; {env["threads"]} threads; input '
        f'{env["input_size"][0]}x{env["input_size"][1]}, batch '
        f'{env["batch"]}.'
    ] + [f'Skipped {option}: {reason}'
         for option, reason in env.get('skipped_options', {}).items()]
    if env.get('onednn_max_cpu_isa'):
        parts.append(f'ONEDNN_MAX_CPU_ISA={env["onednn_max_cpu_isa"]}: '
                     'oneDNN (in torch and OpenVINO) uses no instructions '
                     'beyond this set, whatever the flags above.')
    if INT8 in options and not int8_instructions(env['cpu_flags']):
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
    parts += ['### Targets', '\n'.join(f'- {line}' for line in lines)]
    return '\n\n'.join(parts) + '\n'


def plot_fps(path: Path, records: List[Dict], title: str) -> None:
    """A bar chart of fp32 FPS per model, one bar per variant."""
    import matplotlib
    matplotlib.use('Agg')
    import pandas
    plain = pandas.DataFrame([r for r in records if r['option'] == PLAIN])
    fps = plain.pivot_table('fps', 'model', 'variant', sort=False)
    axes = fps.plot.bar(rot=0, title=title, ylabel='FPS (fp32, eager)',
                        figsize=(1.6 * len(fps) + 3, 4))
    axes.figure.tight_layout()
    mmengine.mkdir_or_exist(Path(path).parent)
    axes.figure.savefig(path, dpi=120)
    matplotlib.pyplot.close(axes.figure)
