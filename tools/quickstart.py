# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The README's main job: train a small EncNet + JPU on the bundled tiny
Pascal Context sample, test the checkpoint as mmseg's tools/test.py does and
compare its mIoU with the best constant predictor's. Exit status 1 if the
model does not beat it. The full log is in the work dir."""
import sys
from pathlib import Path

from mmseg_jpu.tools.cli import (add_config_arguments, load_config_arguments,
                                 tool_parser)
from mmseg_jpu.tools.quickstart import DEFAULT_CONFIG, run_quickstart


def main():
    parser = tool_parser(__doc__)
    add_config_arguments(
        parser, default=f'mmseg_jpu::quickstart/{DEFAULT_CONFIG.name}')
    parser.add_argument(
        '--work-dir',
        type=Path,
        default=Path('work_dirs/quickstart'),
        help='folder for logs and checkpoints')
    args = parser.parse_args()
    cfg = load_config_arguments(parser, args)
    sys.exit(0 if run_quickstart(cfg, args.work_dir) else 1)


if __name__ == '__main__':
    main()
