# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""One rank of a distributed CPU run, started by ``torchrun``.

Trains the tiny config with mmengine's Runner under the ``pytorch``
launcher on gloo, then writes this rank's parameter digest to
``WORK_DIR/rank{RANK}.json``.

mmengine's ``init_dist('pytorch')`` always calls ``torch.cuda.set_device``
and its default DDP wrapper passes ``device_ids=[LOCAL_RANK]``, both of which
need CUDA. On CPU the process group is therefore created here, from the
variables torchrun sets (the Runner then skips ``init_dist``), and the model
wrapper is configured without device ids.

Usage: torchrun --nproc_per_node 2 distributed_worker.py CONFIG WORK_DIR
"""
import hashlib
import json
import os
import sys
from pathlib import Path

import torch
from mmengine.runner import Runner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import tiny_run_config  # noqa: E402


def parameter_digest(model: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for name, param in model.named_parameters():
        digest.update(name.encode())
        digest.update(param.detach().cpu().numpy().tobytes())
    return digest.hexdigest()


def main():
    config, work_dir = sys.argv[1], Path(sys.argv[2])
    cfg = tiny_run_config(Path(config), work_dir, max_iters=3)
    cfg.launcher = 'pytorch'
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel', device_ids=None)
    torch.distributed.init_process_group(backend='gloo')
    runner = Runner.from_cfg(cfg)
    runner.train()
    rank = int(os.environ['RANK'])
    record = dict(
        rank=rank,
        world_size=int(os.environ['WORLD_SIZE']),
        iter=runner.iter,
        last_loss=runner.message_hub.get_scalar('train/loss').current(),
        digest=parameter_digest(runner.model.module))
    (work_dir / f'rank{rank}.json').write_text(json.dumps(record))


if __name__ == '__main__':
    main()
