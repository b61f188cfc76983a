# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment an image (or every image of a folder): write the colour mask to
OUT and an overlay beside it (OUT_overlay.png), or both per image into the
folder OUT."""
import argparse
import sys
from pathlib import Path

from mmseg_jpu.tools.infer import segment


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('image', type=Path, help='image file or folder')
    parser.add_argument('config', type=Path, help='config file')
    parser.add_argument('checkpoint', type=Path, help='checkpoint file')
    parser.add_argument(
        '--out', type=Path, required=True, help='mask file, or folder')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--opacity', type=float, default=0.5, help='mask opacity in overlay')
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        for image, mask, overlay in segment(args.image, args.config,
                                            args.checkpoint, args.out,
                                            args.device, args.opacity):
            print(f'{image} -> {mask}, {overlay}')
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'infer: {error}')


if __name__ == '__main__':
    main()
