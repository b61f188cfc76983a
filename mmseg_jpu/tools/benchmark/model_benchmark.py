# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Measure the suite's models: latency and FPS per inference option (all
models and options of one head and depth timed interleaved), output
differences the options cause, time per component, GFLOPs, parameters and
peak memory, and the ratios against each model's dilated baseline."""
import itertools
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

from mmseg_jpu.tools.benchmark.complexity import complexity
from mmseg_jpu.tools.benchmark.inference_options import (
    PLAIN, compute_dtype, output_difference, prepare)
from mmseg_jpu.tools.benchmark.peak_memory import measure_in_subprocess
from mmseg_jpu.tools.benchmark.segmentor_builder import (
    SegmentationLogits, build_segmentor, calibrate_batchnorm, load_config)
from mmseg_jpu.tools.benchmark.suite import CONFIG_DIR, Entry
from mmseg_jpu.tools.benchmark.timing import latency_summary, time_interleaved

#: figures compared with the baseline: record key -> ratio key
RATIOS = {
    'fps': 'speedup',
    'gflops': 'gflops_ratio',
    'params_m': 'params_ratio',
    'inference_mem_mib': 'inference_mem_ratio',
    'training_mem_mib': 'training_mem_ratio',
}


@dataclass
class Settings:
    """What to measure and how.

    Attributes:
        size: Inference input (height, width).
        batch: Inference batch size.
        runs: Timed rounds.
        warmup: Untimed calls per model and option before timing.
        options: Inference options (``fp32`` first).
        device: Where to run.
        train_crop: Training crop (height, width) of the memory figure.
        train_batch: Training batch of the memory figure.
        memory: Whether to measure peak memory (a subprocess per model).
        threads: CPU threads (also given to the memory subprocesses).
    """
    size: Tuple[int, int] = (512, 512)
    batch: int = 1
    runs: int = 10
    warmup: int = 2
    options: Sequence[str] = (PLAIN, )
    device: torch.device = torch.device('cpu')
    train_crop: Tuple[int, int] = (480, 480)
    train_batch: int = 4
    memory: bool = True
    threads: int = 1


def steps_per_group(entries: Sequence[Entry], settings: Settings) -> int:
    """Progress steps :func:`benchmark_group` reports for ``entries``."""
    per_model = (2 + 3 * (settings.runs + settings.warmup) +
                 len(settings.options) * (1 + settings.runs + settings.warmup)
                 + 2 * settings.memory)
    return len(entries) * per_model


def _no_grad(module: nn.Module) -> Callable:
    def call(inputs):
        with torch.no_grad():
            return module(inputs)
    return call


def _component_times(model: nn.Module, inputs: torch.Tensor,
                     settings: Settings, on_step: Callable[[str], None]
                     ) -> Dict[str, float]:
    """Median milliseconds spent in the backbone, the neck and the decode
    head (fp32 eager), each timed on the previous part's output."""
    with torch.no_grad():
        backbone_out = model.backbone(inputs)
        neck_out = model.neck(backbone_out) if model.with_neck else None
    parts = {
        'backbone': (model.backbone, inputs),
        'neck': (model.neck, backbone_out) if model.with_neck else None,
        'head': (model.decode_head,
                 neck_out if model.with_neck else backbone_out),
    }
    result = {}
    for name, part in parts.items():
        if part is None:
            result[f'{name}_ms'] = 0.0
            continue
        module, part_inputs = part
        times = time_interleaved({name: _no_grad(module)}, part_inputs,
                                 settings.device, settings.runs,
                                 settings.warmup, on_step)
        result[f'{name}_ms'] = latency_summary(times[name],
                                               1)['latency_ms_median']
    return result


def _build(entry: Entry, settings: Settings,
           on_step: Callable[[str], None]) -> Tuple[nn.Module, Dict]:
    """The calibrated eval-mode model and its static figures."""
    cfg = load_config(entry.config)
    model = build_segmentor(cfg, settings.device)
    calibrate_batchnorm(model, settings.size, settings.device)
    on_step(f'built {entry.model} {entry.variant}')
    figures = complexity(model, settings.size, settings.device)
    on_step(f'counted FLOPs of {entry.model} {entry.variant}')
    if settings.memory:
        for mode, size, batch in (('inference', settings.size,
                                   settings.batch),
                                  ('training', settings.train_crop,
                                   settings.train_batch)):
            figures[f'{mode}_mem_mib'] = measure_in_subprocess(
                entry.config, mode, size, batch, settings.device,
                settings.threads)
            on_step(f'{mode} memory of {entry.model} {entry.variant}')
    return model, figures


def benchmark_group(entries: Sequence[Entry], settings: Settings,
                    on_step: Callable[[str], None]) -> List[Dict]:
    """Records for ``entries`` (one head and depth; baselines included), one
    per (entry, option)."""
    inputs = torch.randn(settings.batch, 3, *settings.size,
                         device=settings.device)
    models, static, runners, quality = {}, {}, {}, {}
    for entry in entries:
        model, static[entry.variant] = _build(entry, settings, on_step)
        static[entry.variant].update(
            _component_times(model, inputs, settings, on_step))
        models[entry.variant] = SegmentationLogits(model)
        with torch.no_grad():
            reference = models[entry.variant](inputs)
        for option in settings.options:
            run = prepare(models[entry.variant], option, settings.device)
            start = time.perf_counter()
            output = run(inputs)  # compiles, for torch.compile
            quality[(entry.variant, option)] = dict(
                first_call_s=time.perf_counter() - start,
                **output_difference(output, reference))
            runners[(entry.variant, option)] = run
            on_step(f'checked {entry.model} {entry.variant} {option}')
    times = time_interleaved(runners, inputs, settings.device, settings.runs,
                             settings.warmup, on_step)
    records = []
    for entry, option in itertools.product(entries, settings.options):
        records.append(
            dict(
                model=entry.model,
                head=entry.head,
                depth=entry.depth,
                variant=entry.variant,
                baseline=entry.baseline,
                option=option,
                dtype=compute_dtype(option),
                config=entry.config.relative_to(CONFIG_DIR).as_posix(),
                **static[entry.variant],
                **quality[(entry.variant, option)],
                **latency_summary(times[(entry.variant, option)],
                                  settings.batch)))
    return add_ratios(records)


def add_ratios(records: List[Dict]) -> List[Dict]:
    """Add ``figure / baseline figure`` (same model and option) for FPS
    (``speedup``), GFLOPs, parameters and memory; ``None`` without a
    baseline."""
    index = {(r['model'], r['variant'], r['option']): r for r in records}
    for record in records:
        base = index.get((record['model'], record['baseline'],
                          record['option']))
        for key, ratio in RATIOS.items():
            record[ratio] = (record[key] / base[key]
                             if base is not None and key in record else None)
    return records
