# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export a config's whole inference network (normalised image -> logits
at the image's size) to ONNX, with dynamic batch, height and width where
the network's operators allow, then check the file with ONNX Runtime
against PyTorch on an input of another size than the traced one and print
the largest relative logit difference and the share of pixels with the same
class. A file that does not match is an error and is not written.

Without a checkpoint the model's random initial weights are exported (to
try the tool)."""
import argparse
import sys
from pathlib import Path

from mmengine.config import DictAction

from mmseg_jpu.deploy import ExportError
from mmseg_jpu.deploy.onnx_export import OPSET, TOLERANCE
from mmseg_jpu.tools.argument_checks import (DefaultsHelpFormatter,
                                              positive_float, positive_int)
from mmseg_jpu.tools.export_onnx import default_size, describe, export
from mmseg_jpu.tools.export_onnx import load_config
from mmseg_jpu.utils.quiet_logging import quiet_logging
from mmseg_jpu.checkpoint import CheckpointLoadError


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        usage='%(prog)s CONFIG [CHECKPOINT] OUT.onnx [options]',
        formatter_class=DefaultsHelpFormatter)
    parser.add_argument('config', help='config file, or mmseg::path')
    parser.add_argument(
        'files', nargs='+', metavar='[CHECKPOINT] OUT.onnx',
        help='checkpoint to export (optional) and the ONNX file to write')
    parser.add_argument(
        '--size', type=positive_int, nargs=2, metavar=('H', 'W'),
        help='input size to trace at (default: the sliding window of '
        "test_cfg, else the data preprocessor's size, else 512 512)")
    parser.add_argument(
        '--check-size', type=positive_int, nargs=2, metavar=('H', 'W'),
        help='input size of the parity check (default: 3/4 of the traced '
        'height + 3, 5/4 of its width + 5)')
    parser.add_argument(
        '--fixed-size', action='store_true',
        help='export for the traced height and width only (batch stays '
        'dynamic)')
    parser.add_argument(
        '--tolerance', type=positive_float, default=TOLERANCE,
        help='largest relative logit difference accepted by the check')
    parser.add_argument('--opset', type=positive_int, default=OPSET,
                        help='ONNX opset')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. model.decode_head.num_classes=21')
    args = parser.parse_args()
    if len(args.files) > 2:
        parser.error(f'expected [CHECKPOINT] OUT.onnx, got {len(args.files)} '
                     f'paths: {" ".join(args.files)}')
    *checkpoint, out = map(Path, args.files)
    if out.suffix != '.onnx':
        parser.error(f'the last path must be the .onnx file to write, got '
                     f'{out}')
    if not out.parent.is_dir():
        parser.error(f'folder {out.parent} does not exist')
    args.checkpoint, args.out = (checkpoint or [None])[0], out
    if args.checkpoint is not None and not args.checkpoint.is_file():
        parser.error(f'checkpoint not found: {args.checkpoint}')
    return args, parser


def main():
    args, parser = parse_args()
    quiet_logging()
    try:
        cfg = load_config(args.config, args.cfg_options or {})
    except FileNotFoundError as error:
        parser.error(str(error))
    size = tuple(args.size or default_size(cfg))
    check_size = tuple(args.check_size) if args.check_size else None
    if check_size and args.fixed_size:
        parser.error('--check-size and --fixed-size exclude each other: a '
                     'fixed-size file is checked at the traced size')
    if check_size == size:
        parser.error('--check-size must differ from the traced size '
                     f'{size[0]}x{size[1]}: the check tests another size')
    try:
        result = export(cfg, args.checkpoint, args.out, size,
                        check_size=check_size, fixed_size=args.fixed_size,
                        opset=args.opset, tolerance=args.tolerance)
    except (ExportError, CheckpointLoadError, ValueError, OSError,
            ModuleNotFoundError) as error:
        sys.exit(f'export_onnx: {error}')
    print('\n'.join(describe(result, args.checkpoint)))


if __name__ == '__main__':
    main()
