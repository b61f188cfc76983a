# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Benchmark the dilated stride-8 models against their stride-32 JPU
counterparts (the zoo's Pascal Context 59 configs): latency, FPS, GFLOPs,
parameters, peak inference and training memory, the ratios of each, the
speed of inference options with the output difference they cause, and our
JointPyramidUpsampling neck against mmseg's JPU. Prints Markdown tables."""
import argparse
import sys
from pathlib import Path

import torch

from mmseg_jpu.tools.benchmark.benchmark_run import run_benchmark
from mmseg_jpu.tools.benchmark.inference_options import PLAIN, parse_option
from mmseg_jpu.tools.benchmark.model_benchmark import Settings
from mmseg_jpu.tools.benchmark.suite import DEPTHS, HEADS, select, variants_of

CPU_OPTIONS = (PLAIN, 'bn_fold', 'channels_last', 'bf16', 'compile',
               'bn_fold+channels_last+compile')
CUDA_OPTIONS = (PLAIN, 'bn_fold', 'channels_last', 'bf16', 'fp16', 'compile',
                'bn_fold+channels_last+fp16+compile')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--heads', nargs='+', choices=HEADS, default=HEADS)
    parser.add_argument(
        '--depths', nargs='+', type=int, choices=DEPTHS, default=DEPTHS)
    parser.add_argument(
        '--variants', nargs='+', choices=variants_of(),
        help='models to measure (their baselines are added); default: all')
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1')
    parser.add_argument(
        '--size', type=int, nargs=2, default=(512, 512), metavar=('H', 'W'))
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--runs', type=int, default=10, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--options', nargs='+',
        help=f'inference options, "+" combines them (default on CPU: '
        f'{" ".join(CPU_OPTIONS)}; on CUDA: {" ".join(CUDA_OPTIONS)})')
    parser.add_argument(
        '--train-crop', type=int, nargs=2, default=(480, 480),
        metavar=('H', 'W'))
    parser.add_argument('--train-batch', type=int, default=4)
    parser.add_argument(
        '--no-memory', action='store_true', help='skip peak memory')
    parser.add_argument(
        '--no-necks', action='store_true', help='skip the neck comparison')
    parser.add_argument(
        '--necks-only', action='store_true', help='only the neck comparison')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--json', type=Path, help='write records here')
    parser.add_argument('--plot', type=Path, help='write an FPS chart here')
    return parser.parse_args()


def settings_from(args) -> Settings:
    device = torch.device(args.device)
    options = args.options or (CUDA_OPTIONS
                               if device.type == 'cuda' else CPU_OPTIONS)
    for option in options:
        parse_option(option)
    if PLAIN not in options:
        options = (PLAIN, *options)
    return Settings(
        size=tuple(args.size), batch=args.batch, runs=args.runs,
        warmup=args.warmup, options=tuple(options), device=device,
        train_crop=tuple(args.train_crop), train_batch=args.train_batch,
        memory=not args.no_memory, threads=args.threads)


def main():
    args = parse_args()
    try:
        settings = settings_from(args)
    except ValueError as error:
        sys.exit(f'benchmark: {error}')
    if settings.device.type == 'cuda' and not torch.cuda.is_available():
        sys.exit('benchmark: --device cuda but torch sees no CUDA device')
    entries = [] if args.necks_only else select(args.heads, args.depths,
                                                args.variants)
    print(run_benchmark(
        settings, entries,
        neck_width=None if args.no_necks else 512,
        json_path=args.json, plot_path=args.plot))


if __name__ == '__main__':
    main()
