# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Peak memory of one inference forward or one training step of a config's
model, measured in a fresh Python process so that earlier models and
allocator caches cannot hide or inflate it: on CUDA the peak allocated by
PyTorch during the step (weights included), on CPU how far the process'
peak resident memory (VmHWM) rose above its resident memory before."""
import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import torch
from mmengine.optim import build_optim_wrapper

from mmseg_jpu.deploy.inference_network import SegmentationLogits
from mmseg_jpu.utils.quiet_logging import quiet_logging
from .segmentor_builder import build_segmentor, training_batch


def _status_kib(field: str) -> int:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise RuntimeError(f'/proc/self/status has no {field}')


def peak_memory_mib(step: Callable[[], None], device: torch.device) -> float:
    """Peak memory (MiB) of ``step``, as the module docstring says."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) / 2**20
    before = _status_kib('VmRSS')
    Path('/proc/self/clear_refs').write_text('5')  # peak := current RSS
    step()
    return (_status_kib('VmHWM') - before) / 1024


def measure(config: str, overrides: Optional[Dict], mode: str,
            size: Tuple[int, int], batch: int, device: str,
            threads: int) -> float:
    """Peak memory (MiB) of one ``mode`` (``inference`` or ``training``)
    step of ``config``'s model, in this process."""
    torch.set_num_threads(threads)
    quiet_logging()
    device = torch.device(device)
    cfg, model = build_segmentor(config, overrides, device)
    model.data_preprocessor.size = tuple(size)  # pad to this, not more
    if mode == 'inference':
        logits = SegmentationLogits(model.eval())
        inputs = torch.randn(batch, 3, *size, device=device)
        step = torch.no_grad()(lambda: logits(inputs))
    else:
        optim_wrapper = build_optim_wrapper(model.train(), cfg.optim_wrapper)
        data = training_batch(size, batch, model.decode_head.num_classes)
        step = functools.partial(model.train_step, data, optim_wrapper)
    return peak_memory_mib(step, device)


def measure_in_subprocess(config: Path, overrides: Optional[Dict], mode: str,
                          size: Tuple[int, int], batch: int,
                          device: torch.device, threads: int) -> float:
    """:func:`measure` in a fresh Python process."""
    code = ('import json, sys; from mmseg_jpu.tools.benchmark.peak_memory '
            'import measure; print(measure(*json.loads(sys.argv[1])))')
    arguments = json.dumps([str(config), overrides, mode, list(size), batch,
                            str(device), threads])
    result = subprocess.run([sys.executable, '-c', code, arguments],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f'memory probe failed for {config} ({mode}):\n'
                           f'{result.stderr[-3000:]}')
    return float(result.stdout.split()[-1])
