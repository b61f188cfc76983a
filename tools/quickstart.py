# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Main job: train a small EncNet + JPU on the bundled tiny Pascal Context
sample, evaluate the checkpoint with mmseg's tools/test.py, print mIoU."""
import argparse
import sys
from pathlib import Path

from mmseg_jpu.tools.quickstart import DEFAULT_CONFIG, run_quickstart


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--config', type=Path, default=DEFAULT_CONFIG, help='config file')
    parser.add_argument(
        '--work-dir',
        type=Path,
        default=Path('work_dirs/quickstart'),
        help='folder for logs and checkpoints')
    return parser.parse_args()


def main():
    args = parse_args()
    sys.exit(0 if run_quickstart(args.config, args.work_dir) else 1)


if __name__ == '__main__':
    main()
