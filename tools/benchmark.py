# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Benchmark the dilated stride-8 models against their stride-32 JPU
counterparts and mmseg's FastFCN (random weights, BN calibrated); Markdown
tables on stdout. See docs/benchmark.md."""
import argparse

import mmengine
import torch

from mmseg_jpu.tools.argument_checks import (device, non_negative_int,
                                             output_file, positive_int)
from mmseg_jpu.tools.benchmark.inference_options import (
    CPU_DEFAULTS, CUDA_DEFAULTS, RUNTIMES, choose, inference_option)
from mmseg_jpu.tools.benchmark.model_benchmark import run_benchmark
from mmseg_jpu.tools.benchmark.report import (environment, markdown,
                                              plot_fps, targets)
from mmseg_jpu.tools.benchmark.suite import DEPTHS, HEADS, VARIANTS, select
from mmseg_jpu.tools.cli import run, tool_parser


def parse_args() -> argparse.Namespace:
    parser = tool_parser(__doc__)
    add = parser.add_argument
    add('--heads', nargs='+', choices=HEADS, default=HEADS,
        help='decode head families')
    add('--depths', nargs='+', type=int, choices=DEPTHS, default=DEPTHS,
        help='ResNet depths')
    add('--variants', nargs='+', choices=VARIANTS,
        help='models to measure, with their baselines; default: all')
    add('--device', type=device, default='cpu', help='cpu, cuda or cuda:N')
    add('--size', type=positive_int, nargs=2, default=(512, 512),
        metavar=('H', 'W'), help='inference input size')
    add('--batch', type=positive_int, default=1, help='inference batch size')
    add('--runs', type=positive_int, default=10,
        help='timed rounds (medians are reported)')
    add('--warmup', type=non_negative_int, default=2,
        help='untimed rounds first')
    add('--options', nargs='+', type=inference_option,
        help='inference options (see docs/benchmark.md); fp32 always runs; '
        f'default on CPU: {" ".join(CPU_DEFAULTS)}; on CUDA: '
        f'{" ".join(CUDA_DEFAULTS)}')
    add('--train-crop', type=positive_int, nargs=2, default=(480, 480),
        metavar=('H', 'W'), help='crop of the training step')
    add('--train-batch', type=positive_int, default=4,
        help='batch of the training step')
    add('--train-runs', type=non_negative_int, default=3,
        help='timed training steps, after one untimed (0: none)')
    add('--no-memory', action='store_true',
        help='skip peak memory (a subprocess per model)')
    add('--threads', type=positive_int, default=torch.get_num_threads(),
        help='CPU threads of torch and the runtimes')
    add('--json', type=output_file(('.json', )), help='write the records')
    add('--plot', type=output_file(), help='write an FPS chart')
    args = parser.parse_args()
    args.entries = select(args.heads, args.depths, args.variants)
    if not args.entries:
        parser.error('none of --variants is a model of --heads')
    runtimes = set(args.options or ()) & set(RUNTIMES)
    if args.device != 'cpu' and runtimes:
        parser.error(f'{", ".join(sorted(runtimes))} run on the CPU: use '
                     '--device cpu, or leave them out')
    args.options, args.skipped = choose(args.options,
                                        torch.device(args.device))
    return args


def main() -> None:
    args = parse_args()
    models = run_benchmark(args, args.entries)
    env = environment(args)
    if args.json:  # mmengine.dump creates the folder
        mmengine.dump(dict(environment=env, models=models,
                           targets=targets(models, env)), str(args.json),
                      indent=2)
    if args.plot:
        plot_fps(args.plot, models, f'{env["cpu_model"]}, {args.size[0]}x'
                 f'{args.size[1]}, batch {args.batch}')
    print(markdown(models, args.options, env))


if __name__ == '__main__':
    run(main, 'benchmark.py')
