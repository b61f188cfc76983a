# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Export a config's network (normalised image -> logits) to ONNX, dynamic
in batch, height and width where it allows, and keep the file only if ONNX
Runtime matches PyTorch on it at another size (see docs/deployment.md)."""
from mmseg_jpu.checkpoint import CheckpointLoadError
from mmseg_jpu.deploy import (ExportError, ExportResult, default_size,
                              export_segmentor)
from mmseg_jpu.deploy.inference_network import OUTPUTS
from mmseg_jpu.deploy.onnx_export import TOLERANCE
from mmseg_jpu.tools.argument_checks import (existing_file, output_file,
                                             positive_float, positive_int)
from mmseg_jpu.tools.cli import (add_config_arguments, load_config_arguments,
                                 run, tool_parser)
from mmseg_jpu.utils.quiet_logging import quiet_logging


def parse_args():
    parser = tool_parser(__doc__)
    add_config_arguments(parser)
    parser.add_argument('checkpoint', nargs='?', type=existing_file,
                        help='weights to export (default: random ones)')
    parser.add_argument('out', type=output_file(('.onnx', )),
                        help='the ONNX file to write')
    parser.add_argument(
        '--size', type=positive_int, nargs=2, metavar=('H', 'W'),
        help="size to trace at (default: the config's window or size)")
    parser.add_argument(
        '--check-size', type=positive_int, nargs=2, metavar=('H', 'W'),
        help='size of the parity check (default: another one)')
    parser.add_argument('--fixed-size', action='store_true',
                        help='export for the traced height and width only')
    parser.add_argument('--tolerance', type=positive_float, default=TOLERANCE,
                        help='largest relative difference accepted')
    parser.add_argument('--output', choices=OUTPUTS, default='logits',
                        help='what the graph ends in')
    return parser, parser.parse_args()


def describe(result: ExportResult, checkpoint, output: str) -> str:
    traced, checked = ('x'.join(map(str, size))
                       for size in (result.traced_size, result.checked_size))
    weights = f'weights of {checkpoint}' if checkpoint else 'random weights'
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
    if args.check_size and (args.fixed_size
                            or tuple(args.check_size) == size):
        parser.error(f'--check-size must differ from the traced size '
                     f'{size[0]}x{size[1]}, without --fixed-size')
    quiet_logging()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = export_segmentor(
        cfg, args.checkpoint, args.out, size, check_size=args.check_size,
        output=args.output, fixed_size=args.fixed_size,
        tolerance=args.tolerance)
    print(describe(result, args.checkpoint, args.output))


if __name__ == '__main__':
    run(main, 'export_onnx', (ExportError, CheckpointLoadError, ValueError,
                              OSError, ModuleNotFoundError))
