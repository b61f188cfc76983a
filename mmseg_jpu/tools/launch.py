# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Run mmseg's own ``tools/train.py`` / ``tools/test.py`` with the plugin,
launched alone, by ``torchrun`` (``--launcher pytorch``) or by slurm, on
GPUs or, with ``torchrun``, on CPUs."""
import argparse
import runpy
import sys

import torch

import mmseg_jpu  # noqa: F401  (registers CPUDistributedDataParallel)
from .mmseg_tools import mmseg_tool

#: what mmengine's launcher needs that a CPU-only torchrun process lacks:
#: ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and the Runner's
#: default wrapper passes ``device_ids=[LOCAL_RANK]``.
CPU_DDP_OPTIONS = [
    'model_wrapper_cfg.type=mmseg.CPUDistributedDataParallel',
    'model_wrapper_cfg.device_ids=None', 'env_cfg.dist_cfg.backend=gloo'
]


def run_mmseg_tool(name: str) -> None:
    """Run mmseg's ``tools/<name>`` as ``__main__`` with this process's
    arguments; where ``--launcher pytorch`` starts a process on a machine
    without CUDA, create the gloo process group first (the Runner then
    skips mmengine's CUDA-only ``init_dist``) and add
    :data:`CPU_DDP_OPTIONS`."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--launcher', default='none')
    chosen = parser.parse_known_args()[0].launcher
    if chosen != 'none' and not torch.cuda.is_available():
        if chosen != 'pytorch':
            sys.exit(f'{name}: --launcher {chosen} needs GPUs on this stack; '
                     'on CPUs start the processes with torchrun '
                     '(tools/dist_train.sh, tools/dist_test.sh), which '
                     'use --launcher pytorch')
        torch.distributed.init_process_group(backend='gloo')
        sys.argv += ['--cfg-options', *CPU_DDP_OPTIONS]
    runpy.run_path(str(mmseg_tool(name)), run_name='__main__')
