# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Convert an official FastFCN checkpoint (wuhuikai/FastFCN) into an mmseg
checkpoint and a config that mmseg's tools/test.py evaluates."""
import argparse
import sys
from pathlib import Path

from mmseg_jpu.tools.fastfcn_converter import ConversionError, convert, summary
from mmseg_jpu.utils.weights_only_checkpoint_loader import CheckpointLoadError


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', type=Path, help='official checkpoint')
    parser.add_argument('dst', type=Path, help='mmseg checkpoint to write')
    parser.add_argument(
        '--config-out', type=Path, required=True, help='config to write')
    return parser.parse_args()


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
