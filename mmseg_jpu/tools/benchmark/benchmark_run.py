# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""One benchmark run: the selected models and the neck comparison, with a
progress display, then the report in the requested forms."""
import datetime
import platform
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch

from mmseg_jpu.tools.benchmark.model_benchmark import (
    Settings, benchmark_group, steps_per_group)
from mmseg_jpu.tools.benchmark.neck_benchmark import (PASSES,
                                                      benchmark_necks)
from mmseg_jpu.tools.benchmark.progress import Progress
from mmseg_jpu.tools.benchmark.report import markdown, plot_fps, write_json
from mmseg_jpu.tools.benchmark.segmentor_builder import quiet_logging
from mmseg_jpu.tools.benchmark.suite import Entry


def environment(settings: Settings) -> Dict:
    """What every record carries about where and how it was measured."""
    device = settings.device
    name = (torch.cuda.get_device_name(device) if device.type == 'cuda' else
            platform.processor() or platform.machine())
    return dict(
        device=str(device),
        device_name=name,
        torch_version=torch.__version__,
        threads=torch.get_num_threads(),
        input_size=list(settings.size),
        batch=settings.batch,
        train_crop=list(settings.train_crop),
        train_batch=settings.train_batch,
        date=datetime.date.today().isoformat())


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
                 f'{env["device_name"]}, {settings.size[0]}x'
                 f'{settings.size[1]}, batch {settings.batch}')
    return markdown(models, necks, settings.options, env)
