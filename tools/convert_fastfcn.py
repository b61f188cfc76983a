# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Convert an official FastFCN checkpoint (wuhuikai/FastFCN) into an mmseg
checkpoint and a config that mmseg's tools/test.py evaluates."""
from mmseg_jpu.checkpoint import CheckpointLoadError
from mmseg_jpu.tools.argument_checks import existing_file, output_file
from mmseg_jpu.tools.cli import run, tool_parser
from mmseg_jpu.tools.fastfcn_converter import ConversionError, convert, summary


def main() -> None:
    parser = tool_parser(__doc__)
    parser.add_argument(
        'src',
        type=existing_file,
        help="official checkpoint (the .pth.tar that FastFCN's train.py "
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
    arch = convert(args.src, args.dst, args.config_out)
    print('\n'.join(summary(arch, args.dst, args.config_out)))


if __name__ == '__main__':
    run(main, 'convert_fastfcn',
        (ConversionError, CheckpointLoadError, FileNotFoundError))
