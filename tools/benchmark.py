# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Benchmark the dilated stride-8 models against their stride-32 JPU
counterparts and mmseg's own FastFCN (the zoo's Pascal Context 59 models,
random weights with calibrated BN): latency, FPS, GFLOPs, parameters, peak
inference and training memory, the time of one training step, the ratios
of each against the dilated model with the same head, the speed of
inference options (eager options, ONNX Runtime, OpenVINO fp32/bf16/int8) with
the output differences they cause on noise and on a real photograph, and
the targets as measured. Prints Markdown tables; an option this machine
cannot run is skipped with a note."""
import argparse

import torch

from mmseg_jpu.tools.argument_checks import (device, existing_file,
                                             non_negative_int, output_file,
                                             positive_int)
from mmseg_jpu.tools.benchmark.inference_options import (
    CPU_DEFAULTS, CUDA_DEFAULTS, PLAIN, RUNTIMES, is_runtime, parse_option,
    unavailable)
from mmseg_jpu.tools.benchmark.model_benchmark import run_benchmark
from mmseg_jpu.tools.benchmark.report import (environment, markdown,
                                              plot_fps, write_json)
from mmseg_jpu.tools.benchmark.suite import DEPTHS, HEADS, select, variants_of
from mmseg_jpu.tools.cli import run, tool_parser
from mmseg_jpu.utils.package_files import DEMO_IMAGE


def _option(text: str) -> str:
    try:
        parse_option(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error))
    return text


def parse_args() -> argparse.Namespace:
    parser = tool_parser(__doc__)
    parser.add_argument('--heads', nargs='+', choices=HEADS, default=HEADS,
                        help='decode head families to measure')
    parser.add_argument('--depths', nargs='+', type=int, choices=DEPTHS,
                        default=DEPTHS, help='ResNet depths to measure')
    parser.add_argument(
        '--variants', nargs='+', choices=variants_of(),
        help='models to measure (their baselines are added); default: all')
    parser.add_argument('--device', type=device, default='cpu',
                        help='cpu, cuda or cuda:N')
    parser.add_argument('--size', type=positive_int, nargs=2,
                        default=(512, 512), metavar=('H', 'W'),
                        help='inference input size')
    parser.add_argument('--batch', type=positive_int, default=1,
                        help='inference batch size')
    parser.add_argument('--runs', type=positive_int, default=10,
                        help='timed rounds (medians are reported)')
    parser.add_argument('--warmup', type=non_negative_int, default=2,
                        help='untimed rounds first')
    parser.add_argument(
        '--options', nargs='+', type=_option,
        help=f'inference options: {PLAIN} (eager), the ONNX runtimes '
        f'{", ".join(RUNTIMES)}, or eager options joined with "+" (bn_fold, '
        'channels_last, bf16, fp16, compile); fp32 is always measured, and '
        'an option this machine cannot run is skipped with a note '
        f'(default on CPU: {" ".join(CPU_DEFAULTS)}; on CUDA: '
        f'{" ".join(CUDA_DEFAULTS)})')
    parser.add_argument('--train-crop', type=positive_int, nargs=2,
                        default=(480, 480), metavar=('H', 'W'),
                        help='crop of the training-step time and memory')
    parser.add_argument('--train-batch', type=positive_int, default=4,
                        help='batch of the training-step time and memory')
    parser.add_argument(
        '--train-runs', type=non_negative_int, default=3,
        help='timed training steps per model, after one untimed (0: skip)')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip peak memory (a subprocess per model)')
    parser.add_argument('--threads', type=positive_int,
                        default=torch.get_num_threads(),
                        help='CPU threads of torch and the ONNX runtimes')
    parser.add_argument(
        '--image', type=existing_file, default=DEMO_IMAGE,
        help='photograph the outputs are compared on (resized to --size)')
    parser.add_argument('--json', type=output_file(('.json', )),
                        help='write the records here')
    parser.add_argument('--plot', type=output_file(),
                        help='write an FPS chart here')
    args = parser.parse_args()
    args.entries = select(args.heads, args.depths, args.variants)
    if not args.entries:
        parser.error('none of --variants is a model of --heads')
    cuda = torch.device(args.device).type == 'cuda'
    options = list(dict.fromkeys(
        [PLAIN, *(args.options or (CUDA_DEFAULTS if cuda else CPU_DEFAULTS))]))
    if cuda and any(map(is_runtime, options)):
        parser.error(f'{", ".join(filter(is_runtime, options))} run on the '
                     'CPU: use --device cpu, or leave them out')
    reasons = {option: unavailable(option) for option in options}
    args.skipped = {o: reason for o, reason in reasons.items() if reason}
    args.options = [o for o in options if o not in args.skipped]
    return args


def main() -> None:
    args = parse_args()
    models = run_benchmark(args, args.entries)
    env = environment(args)
    if args.json:
        write_json(args.json, models, env)
    if args.plot:
        plot_fps(args.plot, models, f'{env["cpu_model"]}, {args.size[0]}x'
                 f'{args.size[1]}, batch {args.batch}')
    print(markdown(models, args.options, env))


if __name__ == '__main__':
    run(main, 'benchmark.py')
