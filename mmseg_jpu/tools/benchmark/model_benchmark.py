# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Measure the suite's models, option by option, against their baselines."""
import functools
import itertools
import multiprocessing
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Dict, Hashable, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.utils import ProgressBar

from mmseg_jpu.deploy.inference_network import SegmentationLogits
from mmseg_jpu.deploy.onnx_export import compare, export_onnx
from mmseg_jpu.utils.package_files import DEMO_IMAGE
from mmseg_jpu.utils.quiet_logging import quiet_logging
from .inference_options import (INT8, RUNTIMES, calibration_images,
                                compute_dtype, prepare)
from .segmentor_builder import (build_segmentor, calibrate_batchnorm,
                                image_inputs, train_step)
from .suite import Entry

#: figures compared with the baseline: record key -> ratio key
RATIOS = dict(fps='speedup', gflops='gflops_ratio',
              inference_mem_mib='inference_mem_ratio',
              training_mem_mib='training_mem_ratio',
              train_steps_per_s='train_speedup')


def time_interleaved(functions: Dict[Hashable, Callable], device: torch.device,
                     runs: int, warmup: int,
                     progress: ProgressBar) -> Dict[Hashable, List[float]]:
    """Seconds of ``runs`` calls of each function after ``warmup``, called
    round-robin (odd rounds reversed) so that drift affects all alike."""
    times = {name: [] for name in functions}
    sync = functools.partial(torch.cuda.synchronize, device) if (
        device.type == 'cuda') else lambda: None
    for round_ in range(-warmup, runs):
        for name in list(functions)[::-1 if round_ % 2 else 1]:
            sync()
            start = time.perf_counter()
            functions[name]()
            sync()
            if round_ >= 0:
                times[name].append(time.perf_counter() - start)
            progress.update()
    return times


def summary(name: str, seconds: List[float], scale: float,
            per_second: str, items: int) -> Dict[str, float]:
    """``name``'s median, min and max of ``seconds`` times ``scale``, and
    ``per_second``: ``items`` per median second."""
    median = statistics.median(seconds)
    return {f'{name}_median': median * scale, f'{name}_min':
            min(seconds) * scale, f'{name}_max': max(seconds) * scale,
            per_second: items / median}


def _status_kib(field: str) -> int:
    lines = Path('/proc/self/status').read_text().splitlines()
    return next(int(line.split()[1]) for line in lines
                if line.startswith(field + ':'))


def peak_memory(config: Path, overrides: Dict, mode: str,
                size: Tuple[int, int], batch: int, device: torch.device,
                threads: int) -> float:
    """Peak MiB of an ``inference`` or ``training`` step (CUDA: allocated;
    CPU: rise of the peak resident memory)."""
    torch.set_num_threads(threads)
    quiet_logging()
    cfg, model = build_segmentor(config, overrides, device)
    if mode == 'inference':
        inputs = torch.randn(batch, 3, *size, device=device)
        step = torch.no_grad()(functools.partial(
            SegmentationLogits(model.eval()), inputs))
    else:
        step = train_step(cfg, model, size, batch)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        step()
        return torch.cuda.max_memory_allocated(device) / 2**20
    before = _status_kib('VmRSS')
    Path('/proc/self/clear_refs').write_text('5')  # VmHWM := VmRSS
    step()
    return (_status_kib('VmHWM') - before) / 1024


def measure_in_subprocess(*args, **kwargs) -> float:
    """:func:`peak_memory` in a fresh process, unaffected by earlier ones."""
    with ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context('spawn')) as pool:
        return pool.submit(peak_memory, *args, **kwargs).result()


def _fixed_figures(entry: Entry, model: nn.Module, image: torch.Tensor,
                   args, progress: ProgressBar) -> Dict:
    """The figures of ``entry`` that no option changes."""
    neck = model.neck if model.with_neck else nn.Identity()
    with torch.no_grad():
        flops = FlopAnalyzer(model, (image[:1], )).total()
        features = model.backbone(image)
        parts = dict(backbone=(model.backbone, image), neck=(neck, features),
                     head=(model.decode_head, neck(features)))
    times = time_interleaved(
        {name: torch.no_grad()(functools.partial(*part))
         for name, part in parts.items()}, torch.device(args.device),
        args.runs, args.warmup, progress)
    params = parameter_count(model)
    figures = dict(
        model=entry.model, head=entry.head, depth=entry.depth,
        variant=entry.variant, baseline=entry.baseline,
        config=entry.config.name, overrides=entry.overrides,
        gflops=flops / 1e9,
        params_m=(params[''] - params.get('auxiliary_head', 0)) / 1e6,
        **{f'{name}_ms': statistics.median(seconds) * 1000
           for name, seconds in times.items()})
    memory = (('inference', args.size, args.batch),
              ('training', args.train_crop, args.train_batch))
    for mode, size, batch in () if args.no_memory else memory:
        figures[f'{mode}_mem_mib'] = measure_in_subprocess(
            entry.config, entry.overrides, mode, tuple(size), batch,
            torch.device(args.device), args.threads)
    return figures


def _quality(run: Callable, inputs: Dict, references: Dict) -> Dict:
    """``run``'s differences from fp32 eager on noise and (``image_``) on
    the photograph."""
    figures = {}
    for name, prefix in (('noise', ''), ('image', 'image_')):
        differences = compare(run(inputs[name]).cpu().numpy(),
                              references[name].cpu().numpy())
        figures.update({prefix + k: v for k, v in differences.items()})
    return figures


def benchmark_group(entries: Sequence[Entry], args,
                    progress: ProgressBar) -> List[Dict]:
    """A record per entry (one head and depth) and option, timed
    interleaved, then the training steps; with :data:`RATIOS` against the
    baseline (``None`` if unmeasured)."""
    device = torch.device(args.device)
    records, runners, steps = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix='mmseg_jpu_benchmark_') as tmp:
        for entry in entries:
            torch.manual_seed(0)
            cfg, model = build_segmentor(entry.config, entry.overrides, device)
            inputs = dict(
                noise=torch.randn(args.batch, 3, *args.size, device=device),
                image=image_inputs(model, DEMO_IMAGE, args.batch, args.size))
            calibrate_batchnorm(
                model, torch.cat([inputs['image'][:1], inputs['noise'][:1]]))
            figures = _fixed_figures(entry, model, inputs['image'], args,
                                     progress)
            logits = SegmentationLogits(model).eval()
            with torch.no_grad():
                references = {k: logits(v) for k, v in inputs.items()}
            onnx_file = Path(tmp, f'{entry.variant}.onnx')
            if set(args.options) & set(RUNTIMES):
                export_onnx(logits, onnx_file, args.size)
            calibration = [image_inputs(model, image, 1, args.size)
                           for image in calibration_images()
                           if INT8 in args.options]
            for option in args.options:
                run = prepare(logits, option, device, onnx_file, args.threads,
                              calibration)
                records[entry.variant, option] = dict(
                    figures, option=option, dtype=compute_dtype(option),
                    **_quality(run, inputs, references))
                runners[entry.variant, option] = functools.partial(
                    run, inputs['image'])
            steps[entry.variant] = (cfg, model)
        times = time_interleaved(runners, device, args.runs, args.warmup,
                                 progress)
        runners.clear()  # frees the runtimes before training
    train_times = time_interleaved(
        {variant: train_step(*step, args.train_crop, args.train_batch)
         for variant, step in steps.items()},
        device, args.train_runs, 1, progress) if args.train_runs else {}
    for (variant, option), record in records.items():
        record.update(summary('latency_ms', times[variant, option], 1000,
                              'fps', args.batch))
        if variant in train_times:
            record.update(summary('train_step_s', train_times[variant], 1,
                                  'train_steps_per_s', 1))
    for (_, option), record in records.items():
        base = records.get((record['baseline'], option), {})
        record.update({ratio: record[key] / base[key]
                       if key in record and key in base else None
                       for key, ratio in RATIOS.items()})
    return list(records.values())


def run_benchmark(args, entries: Sequence[Entry]) -> List[Dict]:
    """Records of ``entries``, with mmengine's progress bar on stderr."""
    torch.set_num_threads(args.threads)
    quiet_logging()
    progress = ProgressBar(
        len(entries) * ((3 + len(args.options)) * (args.runs + args.warmup) +
                        (args.train_runs and args.train_runs + 1)),
        file=sys.stderr)
    records = [
        r for _, group in itertools.groupby(entries, lambda e: e.model)
        for r in benchmark_group(list(group), args, progress)
    ]
    sys.stderr.write('\n')
    return records
