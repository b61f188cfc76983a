# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Write the FastFCN version of an mmseg config with a dilated backbone: the
stride-32 backbone plus JointPyramidUpsampling, every head reading what it
read before. With --checkpoint, also carry the source model's weights over,
beside OUT_CONFIG. Prints what changed."""
from mmseg_jpu.checkpoint import CheckpointLoadError
from mmseg_jpu.tools.argument_checks import existing_file, output_file
from mmseg_jpu.tools.cli import add_config_arguments, run, tool_parser
from mmseg_jpu.tools.jpuify import OUTPUT_STRIDES, JpuifyError, jpuify
from mmseg_jpu.utils.config_loading import config_path
from mmseg_jpu.utils.quiet_logging import quiet_logging


def parse_args():
    parser = tool_parser(__doc__)
    add_config_arguments(parser, 'src_config')
    parser.add_argument(
        'out_config',
        type=output_file(('.py', )),
        help='converted config to write (.py); the checkpoint goes beside it '
        'as <name>.pth')
    parser.add_argument(
        '--checkpoint',
        type=existing_file,
        help='checkpoint trained with SRC_CONFIG, carried over (without it: '
        'write the config only)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='random seed of the new modules (with --checkpoint)')
    parser.add_argument(
        '--output-stride',
        type=int,
        choices=OUTPUT_STRIDES,
        help="stride of the JPU feature (without it: the source's, 8 when "
        'its dilated backbone keeps stride 32)')
    parser.add_argument(
        '--flops',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='also count GFLOPs of both models at HxW, built on the CPU')
    parser.add_argument('--verbose',
                        action='store_true',
                        help="also print mmengine's log")
    args = parser.parse_args()
    try:
        source = config_path(args.src_config)
    except FileNotFoundError as error:
        parser.error(f'argument src_config: {error}')
    if args.out_config.resolve() == source.resolve():
        parser.error('argument out_config: would overwrite src_config')
    return args


def main():
    args = parse_args()
    if not args.verbose:
        quiet_logging()
    result = jpuify(args.src_config, args.out_config, args.checkpoint,
                    args.output_stride, args.flops, args.cfg_options,
                    args.seed)
    print(f'{args.src_config} -> {result.config}')
    print('\n'.join(result.lines))


if __name__ == '__main__':
    run(main, 'jpuify.py', (JpuifyError, CheckpointLoadError, OSError))
