# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export a config's inference network (normalised image -> logits at the
image's size) to ONNX with dynamic batch, height and width where the
network allows, then check the file with ONNX Runtime against PyTorch on an
input of another size; a file that does not match is an error and is not
written. --output ends the graph in softmax probabilities or argmax labels
instead (for a one-class head: the sigmoid, or the sigmoid above the
head's threshold). Without a checkpoint the random initial weights are
exported (to try the tool)."""
from pathlib import Path

from mmseg_jpu.checkpoint import CheckpointLoadError
from mmseg_jpu.deploy import (ExportError, ExportResult, default_size,
                              export_segmentor)
from mmseg_jpu.deploy.inference_network import OUTPUTS
from mmseg_jpu.deploy.onnx_export import OPSET, TOLERANCE
from mmseg_jpu.tools.argument_checks import positive_float, positive_int
from mmseg_jpu.tools.cli import (add_config_arguments, load_config_arguments,
                                 run, tool_parser)
from mmseg_jpu.utils.quiet_logging import quiet_logging


def parse_args():
    parser = tool_parser(__doc__)
    parser.usage = '%(prog)s CONFIG [CHECKPOINT] OUT.onnx [options]'
    add_config_arguments(parser)
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
        help='largest relative logit (probability) difference, or share of '
        'pixels with another label, accepted by the check')
    parser.add_argument('--output', choices=OUTPUTS, default='logits',
                        help='what the graph ends in')
    parser.add_argument('--opset', type=positive_int, default=OPSET,
                        help='ONNX opset')
    args = parser.parse_args()
    if len(args.files) > 2:
        parser.error(f'expected [CHECKPOINT] OUT.onnx, got {len(args.files)} '
                     f'paths: {" ".join(args.files)}')
    *checkpoint, args.out = map(Path, args.files)
    args.checkpoint = checkpoint[0] if checkpoint else None
    if args.out.suffix != '.onnx':
        parser.error('the last path must be the .onnx file to write, got '
                     f'{args.out}')
    if not args.out.parent.is_dir():
        parser.error(f'folder {args.out.parent} does not exist')
    if args.checkpoint is not None and not args.checkpoint.is_file():
        parser.error(f'checkpoint not found: {args.checkpoint}')
    if args.check_size and args.fixed_size:
        parser.error('--check-size and --fixed-size exclude each other: a '
                     'fixed-size file is checked at the traced size')
    return parser, args


def describe(result: ExportResult, checkpoint, output: str) -> str:
    """What the tool prints about ``result``."""
    traced, checked = ('x'.join(map(str, size))
                       for size in (result.traced_size, result.checked_size))
    weights = (f'weights of {checkpoint}'
               if checkpoint else 'random weights (no checkpoint given)')
    shape = (f'dynamic batch, height and width (traced at {traced}; checked '
             f'at {checked}, another size)' if result.dynamic else
             f'fixed {traced} (dynamic batch) because '
             f'{result.fixed_size_reason}; ONNX Runtime and OpenVINO refuse '
             'other sizes, so the check ran at the traced size')
    kind = dict(logits='logit', probabilities='probability').get(output)
    difference = (f'largest relative {kind} difference '
                  f'{result.max_rel_diff:.1e}, ' if kind else '')
    return (f'wrote {result.path} ({result.path.stat().st_size / 2**20:.1f} '
            f'MiB, {weights}; output: {output})\ninput: {shape}\n'
            f'parity with PyTorch (ONNX Runtime, random {checked} input): '
            f'{difference}{result.argmax_agreement:.2%} of the pixels with '
            'the same class')


def main():
    parser, args = parse_args()
    cfg = load_config_arguments(parser, args)
    size = tuple(args.size or default_size(cfg))
    if args.check_size and tuple(args.check_size) == size:
        parser.error('--check-size must differ from the traced size '
                     f'{size[0]}x{size[1]}: the check tests another size')
    quiet_logging()
    result = export_segmentor(
        cfg, args.checkpoint, args.out, size, check_size=args.check_size,
        output=args.output, fixed_size=args.fixed_size, opset=args.opset,
        tolerance=args.tolerance)
    print(describe(result, args.checkpoint, args.output))

if __name__ == '__main__':
    run(main, 'export_onnx', (ExportError, CheckpointLoadError, ValueError,
                              OSError, ModuleNotFoundError))
