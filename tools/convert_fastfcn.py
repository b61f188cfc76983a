# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Convert an official FastFCN checkpoint (wuhuikai/FastFCN) into an mmseg
checkpoint and a config that mmseg's tools/test.py evaluates."""
import argparse
import sys

from mmseg_jpu.tools.argument_checks import existing_file, output_file
from mmseg_jpu.tools.fastfcn_converter import ConversionError, convert, summary
from mmseg_jpu.utils.weights_only_checkpoint_loader import CheckpointLoadError


def _official_checkpoint(text: str):
    try:
        return existing_file(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(
            f'official checkpoint not found: {error}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'src',
        type=_official_checkpoint,
        help='official checkpoint (the .pth.tar that FastFCN\'s train.py '
        'saves, or a bare state dict)')
    parser.add_argument(
        'dst',
        type=output_file(('.pth', '.pt')),
        help='mmseg checkpoint to write (.pth)')
    parser.add_argument(
        '--config-out',
        type=output_file(('.py', )),
        required=True,
        help='config to write (.py)')
    args = parser.parse_args()
    if args.dst.resolve() == args.src.resolve():
        parser.error(f'argument dst: {args.dst} is the official checkpoint '
                     'itself: write the converted one to another file')
    return args


def main():
    args = parse_args()
    try:
        arch = convert(args.src, args.dst, args.config_out)
    except (ConversionError, CheckpointLoadError,
            FileNotFoundError) as error:
        sys.exit(f'convert_fastfcn: {error}')
    print('\n'.join(summary(arch, args.dst, args.config_out)))


if __name__ == '__main__':
    main()
