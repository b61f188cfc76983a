# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Latency of callables measured interleaved, so that machine drift (clock,
other load) affects all of them alike, and the one-line progress display of
a long measurement."""
import statistics
import sys
import time
from typing import Any, Callable, Dict, Hashable, List, Optional, TextIO

import torch


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_call(function: Callable[[], Any], device: torch.device) -> float:
    """Seconds one call takes, from synchronised start to synchronised end.
    """
    synchronize(device)
    start = time.perf_counter()
    function()
    synchronize(device)
    return time.perf_counter() - start


def _label(name: Hashable) -> str:
    return ' '.join(map(str, name)) if isinstance(name, tuple) else str(name)


def time_interleaved(functions: Dict[Hashable, Callable[[], Any]],
                     device: torch.device,
                     runs: int,
                     warmup: int,
                     on_step: Optional[Callable[[str], None]] = None
                     ) -> Dict[Hashable, List[float]]:
    """Call every function ``warmup`` times, then ``runs`` rounds in which
    each function is called once (odd rounds in reverse order);
    return the timed seconds per function.

    Args:
        functions: Callables without arguments (bind their inputs).
        on_step: Called with a description after every call (progress).
    """
    on_step = on_step or (lambda _: None)
    for name, function in functions.items():
        for _ in range(warmup):
            time_call(function, device)
            on_step(f'warm-up {_label(name)}')
    times = {name: [] for name in functions}
    names = list(functions)
    for round_index in range(runs):
        # odd rounds run in reverse order, so no function always follows
        # the same neighbour (caches, allocator state)
        for name in names if round_index % 2 == 0 else names[::-1]:
            times[name].append(time_call(functions[name], device))
            on_step(f'timing {_label(name)}')
    return times


def latency_summary(seconds: List[float], batch: int) -> Dict[str, float]:
    """Median, spread and FPS of timed runs (milliseconds)."""
    ms = sorted(s * 1000 for s in seconds)
    quartiles = (statistics.quantiles(ms, n=4)
                 if len(ms) > 1 else [ms[0]] * 3)
    return dict(
        latency_ms_median=statistics.median(ms),
        latency_ms_min=ms[0],
        latency_ms_max=ms[-1],
        latency_ms_iqr=quartiles[2] - quartiles[0],
        runs=len(ms),
        fps=batch / (statistics.median(ms) / 1000))


class Progress:
    """Counts steps towards ``total`` and redraws one status line.

    Args:
        total (int): Expected number of steps (the count may pass it).
        stream (TextIO): Where to draw. Default: ``sys.stderr``.
    """

    def __init__(self, total: int, stream: TextIO = sys.stderr):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream
        self.start = time.monotonic()

    def step(self, description: str) -> None:
        """Count one step and show what it was."""
        self.done += 1
        elapsed = int(time.monotonic() - self.start)
        percent = min(100, 100 * self.done // self.total)
        line = (f'[{percent:3d}% {elapsed // 60:02d}:{elapsed % 60:02d}] '
                f'{description}')
        self.stream.write('\r' + line[:119].ljust(119))
        self.stream.flush()

    def close(self) -> None:
        """End the status line."""
        self.stream.write('\n')
        self.stream.flush()
