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
    CPU_DEFAULTS, CUDA_DEFAULTS, PLAIN, RUNTIMES, choose, is_runtime,
    parse_option)
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
    add = parser.add_argument
    add('--heads', nargs='+', choices=HEADS, default=HEADS,
        help='decode head families to measure')
    add('--depths', nargs='+', type=int, choices=DEPTHS, default=DEPTHS,
        help='ResNet depths to measure')
    add('--variants', nargs='+', choices=variants_of(),
        help='models to measure (their baselines are added); default: all')
    add('--device', type=device, default='cpu', help='cpu, cuda or cuda:N')
    add('--size', type=positive_int, nargs=2, default=(512, 512),
        metavar=('H', 'W'), help='inference input size')
    add('--batch', type=positive_int, default=1, help='inference batch size')
    add('--runs', type=positive_int, default=10,
        help='timed rounds (medians are reported)')
    add('--warmup', type=non_negative_int, default=2,
        help='untimed rounds first')
    add('--options', nargs='+', type=_option,
        help=f'inference options: {PLAIN} (eager), the ONNX runtimes '
        f'{", ".join(RUNTIMES)}, or eager options joined with "+" (bn_fold, '
        'channels_last, bf16, fp16, compile); fp32 is always measured, and '
        'an option this machine cannot run is skipped with a note '
        f'(default on CPU: {" ".join(CPU_DEFAULTS)}; on CUDA: '
        f'{" ".join(CUDA_DEFAULTS)})')
    add('--train-crop', type=positive_int, nargs=2, default=(480, 480),
        metavar=('H', 'W'), help='crop of the training-step time and memory')
    add('--train-batch', type=positive_int, default=4,
        help='batch of the training-step time and memory')
    add('--train-runs', type=non_negative_int, default=3,
        help='timed training steps per model, after one untimed (0: skip)')
    add('--no-memory', action='store_true',
        help='skip peak memory (a subprocess per model)')
    add('--threads', type=positive_int, default=torch.get_num_threads(),
        help='CPU threads of torch and the ONNX runtimes')
    add('--image', type=existing_file, default=DEMO_IMAGE,
        help='photograph the outputs are compared on (resized to --size)')
    add('--json', type=output_file(('.json', )),
        help='write the records here')
    add('--plot', type=output_file(), help='write an FPS chart here')
    args = parser.parse_args()
    args.entries = select(args.heads, args.depths, args.variants)
    if not args.entries:
        parser.error('none of --variants is a model of --heads')
    device_ = torch.device(args.device)
    if device_.type == 'cuda' and any(map(is_runtime, args.options or ())):
        parser.error(f'{", ".join(filter(is_runtime, args.options))} run on '
                     'the CPU: use --device cpu, or leave them out')
    args.options, args.skipped = choose(args.options, device_)
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
