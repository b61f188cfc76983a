# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Write the FastFCN version of an mmseg config with a dilated backbone: the
stride-32 backbone (ResNetD32, ResNeStD32 or MobileNetV2D32) plus
JointPyramidUpsampling, every head reading what it read before (the deepest
feature now being the JPU's). With --checkpoint, also write the source
model's trained weights carried over, beside OUT_CONFIG, and name them in
its load_from. Prints what changed."""
import argparse
import os
from pathlib import Path

from mmseg_jpu.tools.jpuify import (OUTPUT_STRIDES, JpuifyError, jpuify,
                                    resolve_config)
from mmseg_jpu.checkpoint import CheckpointLoadError


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'src_config',
        help='source config: a file, or mmseg::<folder>/<name>.py in the '
        "installed mmseg's configs")
    parser.add_argument(
        'out_config',
        type=Path,
        help='converted config to write (.py); with --checkpoint the '
        'converted checkpoint is written beside it as <name>.pth')
    parser.add_argument(
        '--checkpoint',
        type=Path,
        help='checkpoint trained with SRC_CONFIG: its backbone and heads are '
        'carried over, the new JPU neck is freshly initialised (None: write '
        'the config only)')
    parser.add_argument(
        '--output-stride',
        type=int,
        choices=OUTPUT_STRIDES,
        help="stride of the JPU feature (None: the source's, 8 when its "
        'dilated backbone keeps stride 32)')
    parser.add_argument(
        '--flops',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='also count GFLOPs of both models at an HxW input, building '
        'them on the CPU (None: not counted)')
    args = parser.parse_args()
    check_args(parser, args)
    return parser, args


def check_args(parser: argparse.ArgumentParser, args) -> None:
    """Refuse bad arguments with one line (exit status 2)."""
    try:
        source = resolve_config(args.src_config)
    except FileNotFoundError as error:
        parser.error(f'argument src_config: {error}')
    out = args.out_config
    if out.suffix != '.py':
        parser.error(f'argument out_config: {out} must end with .py')
    if out.is_dir():
        parser.error(f'argument out_config: {out} is a folder')
    if out.resolve() == source.resolve():
        parser.error('argument out_config: would overwrite src_config')
    existing = next(p for p in [out.parent, *out.parent.parents]
                    if p.exists())
    if not existing.is_dir():
        parser.error(f'argument out_config: {existing} is a file, not a '
                     'folder')
    if not os.access(existing, os.W_OK | os.X_OK):
        parser.error(f'argument out_config: cannot write in {existing}')
    if args.checkpoint is not None and not args.checkpoint.is_file():
        parser.error(f'argument --checkpoint: no such file: '
                     f'{args.checkpoint}')
    if args.flops and min(args.flops) < 32:
        parser.error(f'argument --flops: {args.flops[0]}x{args.flops[1]} is '
                     'too small (at least 32x32)')


def main():
    parser, args = parse_args()
    try:
        result = jpuify(args.src_config, args.out_config, args.checkpoint,
                        args.output_stride,
                        tuple(args.flops) if args.flops else None)
    except (JpuifyError, CheckpointLoadError, FileNotFoundError,
            OSError) as error:
        parser.error(' '.join(str(error).split()))
    print(f'{args.src_config} -> {result.config}')
    print('\n'.join(result.lines))


if __name__ == '__main__':
    main()
