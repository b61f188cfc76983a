# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Measure the suite's models: latency and FPS per inference option (all
models and options of one head and depth timed interleaved), the output
differences the options cause on noise and on a real photograph, time per
component, GFLOPs, parameters, peak memory, the time of one training step,
and the ratios against each model's dilated baseline
(:func:`run_benchmark`)."""
import functools
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import get_model_complexity_info
from mmengine.optim import build_optim_wrapper
from mmengine.utils import ProgressBar

from mmseg_jpu.deploy.inference_network import SegmentationLogits
from mmseg_jpu.deploy.onnx_export import compare, export_onnx
from mmseg_jpu.utils.quiet_logging import quiet_logging
from .inference_options import (INT8, calibration_images, compute_dtype,
                                is_runtime, prepare)
from .peak_memory import measure_in_subprocess
from .segmentor_builder import (build_segmentor, calibrate_batchnorm,
                                image_inputs, training_batch)
from .suite import Entry
from .timing import latency_summary, time_interleaved

#: figures compared with the baseline: record key -> ratio key
RATIOS = {
    'fps': 'speedup',
    'gflops': 'gflops_ratio',
    'params_m': 'params_ratio',
    'inference_mem_mib': 'inference_mem_ratio',
    'training_mem_mib': 'training_mem_ratio',
    'train_steps_per_s': 'train_speedup',
}


def complexity(model: nn.Module, size: Tuple[int, int],
               device: torch.device) -> Dict[str, float]:
    """GFLOPs of the segmentor's tensor forward (backbone, neck, decode
    head; mmengine counts one multiply-add as one FLOP, as mmseg's tables
    do) for one ``size`` image, and millions of parameters of the inference
    network (the auxiliary head, used only in training, is left out)."""
    inputs = torch.randn(1, 3, *size, device=device)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=(inputs, ), show_table=False, show_arch=False)
    auxiliary = getattr(model, 'auxiliary_head', None) or nn.Module()
    params = sum(p.numel() for p in model.parameters()) - sum(
        p.numel() for p in auxiliary.parameters())
    return dict(gflops=info['flops'] / 1e9, params_m=params / 1e6)


def _component_times(model: nn.Module, inputs: torch.Tensor, args,
                     progress: ProgressBar) -> Dict[str, float]:
    """Median milliseconds spent in the backbone, the neck and the decode
    head (fp32 eager), each timed on the previous part's output."""
    with torch.no_grad():
        features = model.backbone(inputs)
        neck_out = model.neck(features) if model.with_neck else features
    parts = dict(backbone=(model.backbone, inputs),
                 head=(model.decode_head, neck_out))
    if model.with_neck:
        parts['neck'] = (model.neck, features)
    else:
        progress.update(args.runs + args.warmup)
    times = time_interleaved(
        {name: torch.no_grad()(functools.partial(module, x))
         for name, (module, x) in parts.items()},
        torch.device(args.device), args.runs, args.warmup, progress)
    return {f'{name}_ms': latency_summary(times[name], 1)['latency_ms_median']
            if name in times else 0.0 for name in ('backbone', 'neck', 'head')}


def _build(entry: Entry, args, progress: ProgressBar) -> Tuple:
    """The config, the calibrated eval-mode model, its inputs (``noise``,
    ``image``) and its figures that do not depend on the option."""
    device = torch.device(args.device)
    torch.manual_seed(0)
    cfg, model = build_segmentor(entry.config, entry.overrides, device)
    inputs = dict(
        noise=torch.randn(args.batch, 3, *args.size, device=device),
        image=image_inputs(model, args.image, args.batch, args.size))
    calibrate_batchnorm(model,
                        torch.cat([inputs['image'][:1], inputs['noise'][:1]]))
    figures = complexity(model, args.size, device)
    figures.update(_component_times(model, inputs['image'], args, progress))
    if not args.no_memory:
        for mode, size, batch in (('inference', args.size, args.batch),
                                  ('training', args.train_crop,
                                   args.train_batch)):
            figures[f'{mode}_mem_mib'] = measure_in_subprocess(
                entry.config, entry.overrides, mode, tuple(size), batch,
                device, args.threads)
    return cfg, model, inputs, figures


def _quality(run: Callable, inputs: Dict, references: Dict) -> Dict:
    """How far ``run``'s outputs are from the fp32 eager ones: on noise
    (``max_abs_diff``, ``max_rel_diff``, ``argmax_agreement``) and on the
    photograph (the same keys prefixed with ``image_``), and how long the
    first call took (``first_call_s``: compiling, for torch.compile)."""
    start = time.perf_counter()
    image = run(inputs['image'])
    figures = dict(first_call_s=time.perf_counter() - start)
    for prefix, output, reference in (
            ('', run(inputs['noise']), references['noise']),
            ('image_', image, references['image'])):
        differences = compare(output.cpu().numpy(), reference.cpu().numpy())
        figures.update({prefix + k: v for k, v in differences.items()})
    return figures


def _train_step_times(entries: Sequence[Entry], built: Dict, args,
                      progress: ProgressBar) -> Dict[str, Dict]:
    """Seconds of one ``train_step`` (forward, losses, backward, the
    config's optimizer step) per variant, timed interleaved after one
    untimed step, on a random batch of ``train_batch`` crops of
    ``train_crop``. The models' weights change: this runs last."""
    functions = {}
    for entry in entries:
        cfg, model = built[entry.variant][:2]
        model.train()
        model.data_preprocessor.size = tuple(args.train_crop)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        data = training_batch(args.train_crop, args.train_batch,
                              model.decode_head.num_classes)
        functions[entry.variant] = functools.partial(
            model.train_step, data, optim_wrapper)
    times = time_interleaved(functions, torch.device(args.device),
                             args.train_runs, 1, progress)
    result = {}
    for variant, seconds in times.items():
        median = statistics.median(seconds)
        result[variant] = dict(
            train_step_s_median=median, train_step_s_min=min(seconds),
            train_step_s_max=max(seconds), train_steps_per_s=1 / median)
    return result


def benchmark_group(entries: Sequence[Entry], args,
                    progress: ProgressBar) -> List[Dict]:
    """Records for ``entries`` (one head and depth; baselines included), one
    per (entry, option)."""
    device = torch.device(args.device)
    built, runners, quality, exports = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix='mmseg_jpu_benchmark_') as tmp:
        for entry in entries:
            cfg, model, inputs, figures = _build(entry, args, progress)
            built[entry.variant] = (cfg, model, figures)
            logits = SegmentationLogits(model).eval()
            with torch.no_grad():
                references = {k: logits(v) for k, v in inputs.items()}
            onnx_file = None
            if any(map(is_runtime, args.options)):  # as export_onnx.py does
                export = export_onnx(logits, Path(
                    tmp, f'{entry.model}_{entry.variant}.onnx'), args.size)
                onnx_file = export.path
                exports[entry.variant] = dict(
                    onnx_dynamic=export.dynamic,
                    onnx_fixed_size_reason=export.fixed_size_reason,
                    onnx_export_max_rel_diff=export.max_rel_diff)
            calibration = [image_inputs(model, image, 1, args.size)
                           for image in calibration_images()
                           if INT8 in args.options]
            for option in args.options:
                run = prepare(logits, option, device, onnx_file, args.threads,
                              calibration)
                quality[(entry.variant, option)] = _quality(
                    run, inputs, references)
                runners[(entry.variant, option)] = functools.partial(
                    run, inputs['image'])
        times = time_interleaved(runners, device, args.runs, args.warmup,
                                 progress)
        runners.clear()  # frees the runtimes before training
    training = (_train_step_times(entries, built, args, progress)
                if args.train_runs else {})
    records = []
    for entry, option in itertools.product(entries, args.options):
        records.append(dict(
            model=entry.model, head=entry.head, depth=entry.depth,
            variant=entry.variant, description=entry.description,
            baseline=entry.baseline, option=option,
            dtype=compute_dtype(option), config=entry.config.name,
            overrides=entry.overrides, **built[entry.variant][2],
            **training.get(entry.variant, {}),
            **(exports.get(entry.variant, {}) if is_runtime(option) else {}),
            **quality[(entry.variant, option)],
            **latency_summary(times[(entry.variant, option)], args.batch)))
    return add_ratios(records)


def add_ratios(records: List[Dict]) -> List[Dict]:
    """Add ``figure / baseline figure`` (same model and option) for FPS
    (``speedup``), GFLOPs, parameters, memory and training steps per second
    (``train_speedup``); ``None`` without a baseline or the figure."""
    index = {(r['model'], r['variant'], r['option']): r for r in records}
    for record in records:
        base = index.get((record['model'], record['baseline'],
                          record['option']), {})
        for key, ratio in RATIOS.items():
            record[ratio] = (record[key] / base[key]
                             if key in record and key in base else None)
    return records


def run_benchmark(args, entries: Sequence[Entry]) -> List[Dict]:
    """Records of ``entries``, measured group by group (one head and depth:
    a model and its baselines), with mmengine's progress bar on stderr."""
    torch.set_num_threads(args.threads)
    quiet_logging()
    groups: Dict[str, List[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.model, []).append(entry)
    calls = args.runs + args.warmup
    progress = ProgressBar(
        len(entries) * ((3 + len(args.options)) * calls +
                        (args.train_runs and args.train_runs + 1)),
        file=sys.stderr)
    records = []
    for group in groups.values():
        records += benchmark_group(group, args, progress)
    sys.stderr.write('\n')
    return records
