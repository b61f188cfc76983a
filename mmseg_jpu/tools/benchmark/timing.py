# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Latency of callables measured interleaved, so that machine drift (clock,
other load) affects all of them alike."""
import statistics
import time
from typing import Any, Callable, Dict, Hashable, List, Optional

import torch
from mmengine.utils import ProgressBar


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_interleaved(functions: Dict[Hashable, Callable[[], Any]],
                     device: torch.device,
                     runs: int,
                     warmup: int,
                     progress: Optional[ProgressBar] = None
                     ) -> Dict[Hashable, List[float]]:
    """Call every function ``warmup`` times, then ``runs`` rounds in which
    each function is called once (odd rounds in reverse order, so that no
    function always follows the same neighbour); return the seconds of the
    timed calls per function. ``progress`` counts every call."""
    times = {name: [] for name in functions}
    names = list(functions)
    rounds = [names] * warmup + [names if i % 2 == 0 else names[::-1]
                                 for i in range(runs)]
    for index, order in enumerate(rounds):
        for name in order:
            _synchronize(device)
            start = time.perf_counter()
            functions[name]()
            _synchronize(device)
            if index >= warmup:
                times[name].append(time.perf_counter() - start)
            if progress is not None:
                progress.update()
    return times


def latency_summary(seconds: List[float], batch: int) -> Dict[str, float]:
    """Median, spread and FPS of timed runs (milliseconds)."""
    ms = sorted(s * 1000 for s in seconds)
    quartiles = statistics.quantiles(ms, n=4) if len(ms) > 1 else ms * 3
    median = statistics.median(ms)
    return dict(latency_ms_median=median, latency_ms_min=ms[0],
                latency_ms_max=ms[-1],
                latency_ms_iqr=quartiles[2] - quartiles[0], runs=len(ms),
                fps=batch / (median / 1000))
