# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The README's main job: train a small EncNet + JPU on the bundled tiny
Pascal Context sample, test the checkpoint as mmseg's tools/test.py does and
compare its mIoU with the best constant predictor's. Exit status 1 if the
model does not beat it. The full log is in the work dir."""
import sys
from pathlib import Path

from mmseg_jpu.tools.cli import tool_parser
from mmseg_jpu.tools.quickstart import run_quickstart


def main() -> None:
    parser = tool_parser(__doc__)
    parser.add_argument(
        '--work-dir', type=Path, default=Path('work_dirs/quickstart'),
        help='folder for logs and checkpoints')
    sys.exit(0 if run_quickstart(parser.parse_args().work_dir) else 1)


if __name__ == '__main__':
    main()
