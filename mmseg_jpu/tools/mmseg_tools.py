# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Run mmseg's own ``tools/train.py`` / ``tools/test.py`` with the plugin,
alone, by ``torchrun`` (``--launcher pytorch``, on GPUs or CPUs) or by slurm
(on GPUs)."""
import argparse
import runpy
import sys
from pathlib import Path

import mmseg
import torch

#: what a CPU-only torchrun process needs: mmengine's ``init_dist`` and its
#: default wrapper assume CUDA (``set_device``, ``device_ids``).
CPU_DDP_OPTIONS = [
    'model_wrapper_cfg.type=mmseg.CPUDistributedDataParallel',
    'model_wrapper_cfg.device_ids=None', 'env_cfg.dist_cfg.backend=gloo'
]


def mmseg_tool(name: str) -> Path:
    """Path of one of mmseg's tools (e.g. ``'test.py'``) in
    ``mmseg/.mim/tools``, where ``mim train`` finds them."""
    path = Path(mmseg.__file__).parent / '.mim' / 'tools' / name
    if not path.is_file():
        raise FileNotFoundError(f'{path} not found: reinstall mmseg '
                                '(onedl-)mmsegmentation from a wheel')
    return path


def run_mmseg_tool(name: str) -> None:
    """Run mmseg's ``tools/<name>`` as ``__main__`` with this process's
    arguments; without CUDA, ``--launcher pytorch`` gets a gloo process
    group (the Runner then skips ``init_dist``) and
    :data:`CPU_DDP_OPTIONS`."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--launcher', default='none')
    launcher = parser.parse_known_args()[0].launcher
    if launcher != 'none' and not torch.cuda.is_available():
        if launcher != 'pytorch':
            sys.exit(f'{name}: --launcher {launcher} needs GPUs here; on '
                     'CPUs use tools/dist_train.sh or tools/dist_test.sh')
        torch.distributed.init_process_group(backend='gloo')
        sys.argv += ['--cfg-options', *CPU_DDP_OPTIONS]
    runpy.run_path(str(mmseg_tool(name)), run_name='__main__')
