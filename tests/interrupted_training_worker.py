# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Train a config and die by SIGKILL part-way, as a crash or an OOM kill
would end a real run.

``--kill-after-iter K``: SIGKILL right after training iteration K (before
that iteration's checkpoint, if any, is written).
``--kill-writing CHECKPOINT``: SIGKILL in the middle of writing the file
named CHECKPOINT (e.g. ``iter_6.pth``): half of its bytes reach the disk,
then the process dies.

``--resume`` resumes from the work dir's last checkpoint first.

Usage: python interrupted_training_worker.py CONFIG [--resume]
           (--kill-after-iter K | --kill-writing CHECKPOINT)
"""
import argparse
import os
import signal
from pathlib import Path

from mmengine.config import Config
from mmengine.fileio import LocalBackend
from mmengine.hooks import Hook
from mmengine.runner import Runner


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillAfterIterHook(Hook):
    """SIGKILL the process once training iteration ``iteration`` is done."""

    priority = 'HIGHEST'  # before the CheckpointHook of that iteration

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            die()


def kill_while_writing(checkpoint_name: str) -> None:
    """Make the local file backend die half-way through writing any file
    whose name starts with ``checkpoint_name`` (temporary names included)."""
    put = LocalBackend.put

    def put_half_then_die(self, obj: bytes, filepath) -> None:
        if not Path(filepath).name.startswith(checkpoint_name):
            return put(self, obj, filepath)
        with open(filepath, 'wb') as file:
            file.write(obj[:len(obj) // 2])
            file.flush()
            os.fsync(file.fileno())
        die()

    LocalBackend.put = put_half_then_die


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--resume', action='store_true')
    kill = parser.add_mutually_exclusive_group(required=True)
    kill.add_argument('--kill-after-iter', type=int)
    kill.add_argument('--kill-writing')
    args = parser.parse_args()

    cfg = Config.fromfile(args.config)
    cfg.resume = args.resume
    runner = Runner.from_cfg(cfg)
    if args.kill_after_iter is not None:
        runner.register_hook(KillAfterIterHook(args.kill_after_iter))
    else:
        kill_while_writing(args.kill_writing)
    runner.train()
    raise SystemExit('training finished without being killed')


if __name__ == '__main__':
    main()
