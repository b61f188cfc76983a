# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Measure the suite's models: latency and FPS per inference option (all
models and options of one head and depth timed interleaved), the output
differences the options cause on noise and on a real photograph, time per
component, GFLOPs, parameters, peak memory, the time of one training step,
and the ratios against each model's dilated baseline; then the neck
comparison and the report (:func:`run_benchmark`)."""
import functools
import itertools
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import get_model_complexity_info
from mmengine.optim import build_optim_wrapper

from ...deploy.inference_network import SegmentationLogits
from ...deploy.onnx_export import compare, export_onnx
from ...utils.package_files import DEMO_IMAGE
from ...utils.quiet_logging import quiet_logging
from .inference_options import PLAIN, compute_dtype, is_runtime, prepare
from .neck_benchmark import PASSES, benchmark_necks
from .peak_memory import measure_in_subprocess
from .report import environment, markdown, plot_fps, write_json
from .segmentor_builder import (build_segmentor, calibrate_batchnorm,
                                image_inputs, load_config, noise_inputs,
                                training_batch)
from .suite import Entry
from .timing import Progress, latency_summary, time_interleaved

#: figures compared with the baseline: record key -> ratio key
RATIOS = {
    'fps': 'speedup',
    'gflops': 'gflops_ratio',
    'params_m': 'params_ratio',
    'inference_mem_mib': 'inference_mem_ratio',
    'training_mem_mib': 'training_mem_ratio',
    'train_steps_per_s': 'train_speedup',
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
        train_crop: Training crop (height, width) of the memory and
            training-step figures.
        train_batch: Training batch of the memory and training-step figures.
        train_runs: Timed training steps per model (0: none).
        memory: Whether to measure peak memory (a subprocess per model).
        threads: CPU threads (also given to the memory subprocesses and the
            ONNX runtimes).
        image: The photograph the outputs are compared on (resized to
            ``size``).
    """
    size: Tuple[int, int] = (512, 512)
    batch: int = 1
    runs: int = 10
    warmup: int = 2
    options: Sequence[str] = (PLAIN, )
    device: torch.device = torch.device('cpu')
    train_crop: Tuple[int, int] = (480, 480)
    train_batch: int = 4
    train_runs: int = 3
    memory: bool = True
    threads: int = 1
    image: Path = DEMO_IMAGE


def steps_per_group(entries: Sequence[Entry], settings: Settings) -> int:
    """Progress steps :func:`benchmark_group` reports for ``entries``."""
    timed = settings.runs + settings.warmup
    per_model = (2 + 3 * timed + len(settings.options) * (1 + timed) +
                 2 * settings.memory +
                 any(map(is_runtime, settings.options)))
    if settings.train_runs:
        per_model += settings.train_runs + 1
    return len(entries) * per_model


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
    auxiliary = getattr(model, 'auxiliary_head', None)
    auxiliary_params = sum(
        p.numel() for p in auxiliary.parameters()) if auxiliary else 0
    params = sum(p.numel() for p in model.parameters()) - auxiliary_params
    return dict(gflops=info['flops'] / 1e9, params_m=params / 1e6)


def _no_grad_call(module: nn.Module, inputs) -> None:
    with torch.no_grad():
        module(inputs)


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
        call = functools.partial(_no_grad_call, *part)
        times = time_interleaved({name: call}, settings.device,
                                 settings.runs, settings.warmup, on_step)
        result[f'{name}_ms'] = latency_summary(times[name],
                                               1)['latency_ms_median']
    return result


def _build(entry: Entry, settings: Settings,
           on_step: Callable[[str], None]) -> Tuple:
    """The config, the calibrated eval-mode model, its inputs (``noise``,
    ``image``) and its static figures."""
    cfg = load_config(entry.config, entry.overrides)
    model = build_segmentor(cfg, settings.device)
    inputs = dict(
        noise=noise_inputs(settings.batch, settings.size, settings.device),
        image=image_inputs(settings.image, cfg, settings.batch, settings.size,
                           settings.device))
    calibrate_batchnorm(model,
                        torch.cat([inputs['image'][:1], inputs['noise'][:1]]))
    on_step(f'built {entry.model} {entry.variant}')
    figures = complexity(model, settings.size, settings.device)
    on_step(f'counted FLOPs of {entry.model} {entry.variant}')
    if settings.memory:
        for mode, size, batch in (('inference', settings.size,
                                   settings.batch),
                                  ('training', settings.train_crop,
                                   settings.train_batch)):
            figures[f'{mode}_mem_mib'] = measure_in_subprocess(
                entry.config, entry.overrides, mode, size, batch,
                settings.device, settings.threads)
            on_step(f'{mode} memory of {entry.model} {entry.variant}')
    return cfg, model, inputs, figures


def _quality(run: Callable, inputs: Dict, references: Dict) -> Dict:
    """How far ``run``'s outputs are from the fp32 eager ones: on noise
    (``max_abs_diff``, ``max_rel_diff``, ``argmax_agreement``) and on the
    photograph (the same keys prefixed with ``image_``), and how long the
    first call took (``first_call_s``: compiling, for torch.compile)."""
    start = time.perf_counter()
    image = run(inputs['image'])
    figures = dict(first_call_s=time.perf_counter() - start)
    for name, output in (('noise', run(inputs['noise'])), ('image', image)):
        prefix = '' if name == 'noise' else 'image_'
        differences = compare(output.cpu().numpy(),
                              references[name].cpu().numpy())
        figures.update({prefix + k: v for k, v in differences.items()})
    return figures


def _export(logits: nn.Module, folder: Path, entry: Entry,
            settings: Settings) -> Tuple[Path, Dict]:
    """The model's ONNX file (as ``tools/export_onnx.py`` writes it, traced
    at the benchmark's size) and what the export says about it."""
    path = folder / f'{entry.model}_{entry.variant}.onnx'
    result = export_onnx(logits, path, settings.size)
    return result.path, dict(
        onnx_dynamic=result.dynamic,
        onnx_fixed_size_reason=result.fixed_size_reason,
        onnx_export_max_rel_diff=result.max_rel_diff)


def _train_step_times(entries: Sequence[Entry], built: Dict,
                      settings: Settings,
                      on_step: Callable[[str], None]) -> Dict[str, Dict]:
    """Seconds of one ``train_step`` (forward, losses, backward, the
    config's optimizer step) per variant, timed interleaved, on a random
    batch of ``train_batch`` crops of ``train_crop``. The models' weights
    change: this runs after everything else."""
    functions = {}
    for entry in entries:
        cfg, model = built[entry.variant][:2]
        model.train()
        model.data_preprocessor.size = tuple(settings.train_crop)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        data = training_batch(settings.train_crop, settings.train_batch,
                              model.decode_head.num_classes)
        functions[entry.variant] = functools.partial(
            model.train_step, data, optim_wrapper)
    times = time_interleaved(functions, settings.device, settings.train_runs,
                             1, on_step)
    result = {}
    for variant, seconds in times.items():
        summary = latency_summary(seconds, 1)
        result[variant] = dict(
            train_step_s_median=summary['latency_ms_median'] / 1000,
            train_step_s_min=summary['latency_ms_min'] / 1000,
            train_step_s_max=summary['latency_ms_max'] / 1000,
            train_steps_per_s=summary['fps'])
    return result


def benchmark_group(entries: Sequence[Entry], settings: Settings,
                    on_step: Callable[[str], None]) -> List[Dict]:
    """Records for ``entries`` (one head and depth; baselines included), one
    per (entry, option)."""
    built, runners, quality, exports = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix='mmseg_jpu_benchmark_') as tmp:
        for entry in entries:
            cfg, model, inputs, figures = _build(entry, settings, on_step)
            figures.update(
                _component_times(model, inputs['image'], settings, on_step))
            built[entry.variant] = (cfg, model, figures)
            logits = SegmentationLogits(model).eval()
            with torch.no_grad():
                references = {k: logits(v) for k, v in inputs.items()}
            onnx_file = None
            if any(map(is_runtime, settings.options)):
                onnx_file, exports[entry.variant] = _export(
                    logits, Path(tmp), entry, settings)
                on_step(f'exported {entry.model} {entry.variant}')
            for option in settings.options:
                run = prepare(logits, option, settings.device, onnx_file,
                              settings.threads)
                quality[(entry.variant, option)] = _quality(
                    run, inputs, references)
                runners[(entry.variant, option)] = functools.partial(
                    run, inputs['image'])
                on_step(f'checked {entry.model} {entry.variant} {option}')
        times = time_interleaved(runners, settings.device, settings.runs,
                                 settings.warmup, on_step)
        runners.clear()  # frees the runtimes before training
    training = (_train_step_times(entries, built, settings, on_step)
                if settings.train_runs else {})
    records = []
    for entry, option in itertools.product(entries, settings.options):
        records.append(
            dict(
                model=entry.model,
                head=entry.head,
                depth=entry.depth,
                variant=entry.variant,
                description=entry.description,
                baseline=entry.baseline,
                option=option,
                dtype=compute_dtype(option),
                config=entry.config.name,
                overrides=entry.overrides,
                **built[entry.variant][2],
                **training.get(entry.variant, {}),
                **(exports.get(entry.variant, {})
                   if is_runtime(option) else {}),
                **quality[(entry.variant, option)],
                **latency_summary(times[(entry.variant, option)],
                                  settings.batch)))
    return add_ratios(records)


def add_ratios(records: List[Dict]) -> List[Dict]:
    """Add ``figure / baseline figure`` (same model and option) for FPS
    (``speedup``), GFLOPs, parameters, memory and training steps per second
    (``train_speedup``); ``None`` without a baseline or the figure."""
    index = {(r['model'], r['variant'], r['option']): r for r in records}
    for record in records:
        base = index.get((record['model'], record['baseline'],
                          record['option']))
        for key, ratio in RATIOS.items():
            record[ratio] = (record[key] / base[key] if base is not None
                             and key in record and key in base else None)
    return records


def _groups(entries: Sequence[Entry]) -> List[List[Entry]]:
    groups: Dict[str, List[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.model, []).append(entry)
    return list(groups.values())


def run_benchmark(settings: Settings,
                  entries: Sequence[Entry],
                  neck_width: Optional[int] = 512,
                  neck_dilations: Sequence[int] = (1, 2, 4, 8),
                  json_path: Optional[Path] = None,
                  plot_path: Optional[Path] = None) -> str:
    """Measure ``entries`` (grouped by head and depth) and, unless
    ``neck_width`` is None, both JPU necks; write the JSON and the plot
    when asked; return the Markdown report."""
    torch.set_num_threads(settings.threads)
    quiet_logging()
    groups = _groups(entries)
    neck_steps = (0 if neck_width is None else
                  2 * len(PASSES) * (settings.runs + settings.warmup))
    progress = Progress(
        sum(steps_per_group(g, settings) for g in groups) + neck_steps)
    models = []
    for group in groups:
        models += benchmark_group(group, settings, progress.step)
    necks = []
    if neck_width is not None:
        necks = benchmark_necks(settings.size, settings.batch, neck_width,
                                neck_dilations, settings.device,
                                settings.runs, settings.warmup,
                                progress.step)
    progress.close()
    env = environment(settings)
    if json_path:
        write_json(json_path, models, necks, env)
    if plot_path and models:
        plot_fps(plot_path, models,
                 f'{env["cpu_model"]}, {settings.size[0]}x'
                 f'{settings.size[1]}, batch {settings.batch}')
    return markdown(models, necks, settings.options, env)
