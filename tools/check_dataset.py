# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Check the train, val and test datasets of a config before a long run:
whether the folders and split files exist where the config looks for them
(relative paths start in the working directory), the number of images and
annotations, files without a partner, annotations whose size differs from
their image's or that are not single-channel, and the label values found
against the model's classes. Ends with one line saying whether training
can start; exits with 1 if any dataset has a problem."""
import argparse
import sys

from mmengine.config import Config, DictAction

from mmseg_jpu.tools.argument_checks import positive_int
from mmseg_jpu.tools.dataset_check import check_config, verdict
from mmseg_jpu.tools.jpuify import resolve_config


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'config', help='config file, or mmseg::path in mmseg\'s configs')
    parser.add_argument(
        '--workers',
        type=positive_int,
        default=4,
        help='threads reading images and annotations')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. '
        'train_dataloader.dataset.data_root=/data/VOC2010')
    args = parser.parse_args()
    try:
        args.config = resolve_config(args.config)
    except FileNotFoundError as error:
        parser.error(f'argument config: {error}')
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(str(args.config))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    reports = check_config(cfg, args.workers)
    for report in reports:
        print('\n'.join(report.lines()))
    sound, line = verdict(reports)
    print(line)
    sys.exit(0 if sound else 1)


if __name__ == '__main__':
    main()
