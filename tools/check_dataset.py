# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Check the train, val and test datasets of a config before a long run:
folders and split files, images and annotations, missing or unreadable
files, annotations that are not a label map of their image's size, labels
outside the model's classes. Ends with one line saying whether training can
start; exits with 1 if any dataset has a problem."""
import sys

from mmseg_jpu.datasets.dataset_check import check_config, verdict
from mmseg_jpu.tools.argument_checks import positive_int
from mmseg_jpu.tools.cli import (add_config_arguments, load_config_arguments,
                                 tool_parser)


def main() -> None:
    parser = tool_parser(__doc__)
    add_config_arguments(parser)
    parser.add_argument(
        '--workers', type=positive_int, default=4,
        help='threads reading images and annotations')
    args = parser.parse_args()
    reports = check_config(load_config_arguments(parser, args), args.workers)
    for report in reports:
        print('\n'.join(report.lines))
    sound, line = verdict(reports)
    print(line)
    sys.exit(0 if sound else 1)


if __name__ == '__main__':
    main()
