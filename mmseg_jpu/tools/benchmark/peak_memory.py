# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Peak memory of one inference forward or one training step of a config's
model, each measured in a fresh Python process so earlier models and
allocator caches cannot hide or inflate it.

On CUDA the figure is the peak allocated by PyTorch during the step (weights
included); on CPU it is how far the process' peak resident memory (VmHWM)
rose above its resident memory just before the step.

Run as ``python -m mmseg_jpu.tools.benchmark.peak_memory CONFIG MODE ...``
(``--overrides`` takes the JSON of config settings to merge in); it prints
one JSON object.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Optional

import torch
from mmengine.optim import build_optim_wrapper

from mmseg_jpu.deploy.inference_network import SegmentationLogits
from mmseg_jpu.tools.benchmark.segmentor_builder import (build_segmentor,
                                                         load_config,
                                                         training_batch)
from mmseg_jpu.utils.quiet_logging import quiet_logging

MODES = ('inference', 'training')
_MIB = 2**20


def _proc_status_kib(field: str) -> int:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise RuntimeError(f'/proc/self/status has no {field}')


def peak_memory_mib(step: Callable[[], None], device: torch.device) -> float:
    """Peak memory (MiB) of ``step``, as described in the module docstring.
    """
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) / _MIB
    before = _proc_status_kib('VmRSS')
    Path('/proc/self/clear_refs').write_text('5')  # peak := current RSS
    step()
    return (_proc_status_kib('VmHWM') - before) / 1024


def measure(config: Path, overrides: Optional[Dict], mode: str, size,
            batch: int, device: torch.device) -> float:
    """Peak memory (MiB) of one ``mode`` step of ``config``'s model (with
    ``overrides`` merged into the config)."""
    cfg = load_config(config, overrides)
    cfg.model.data_preprocessor.size = tuple(size)  # pad to this, not more
    model = build_segmentor(cfg, device)
    if mode == 'inference':
        model.eval()
        logits = SegmentationLogits(model)
        inputs = torch.randn(batch, 3, *size, device=device)

        def step():
            with torch.no_grad():
                logits(inputs)
    else:
        model.train()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        data = training_batch(size, batch, model.decode_head.num_classes)

        def step():
            model.train_step(data, optim_wrapper)
    return peak_memory_mib(step, device)


def measure_in_subprocess(config: Path, overrides: Optional[Dict], mode: str,
                          size, batch: int, device: torch.device,
                          threads: int) -> float:
    """:func:`measure` in a fresh Python process."""
    command = [
        sys.executable, '-m', __name__, str(config), mode,
        '--overrides', json.dumps(overrides or {}), '--size',
        *map(str, size), '--batch', str(batch), '--device', str(device),
        '--threads', str(threads)
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f'memory probe failed for {config} ({mode}):\n'
                           f'{result.stderr[-3000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])['peak_mib']


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', type=Path)
    parser.add_argument('mode', choices=MODES)
    parser.add_argument('--overrides', type=json.loads, default={})
    parser.add_argument('--size', type=int, nargs=2, required=True)
    parser.add_argument('--batch', type=int, required=True)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    quiet_logging()
    peak = measure(args.config, args.overrides, args.mode, tuple(args.size),
                   args.batch, torch.device(args.device))
    print(json.dumps(dict(peak_mib=peak)))


if __name__ == '__main__':
    main()
