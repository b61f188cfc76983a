# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Benchmark the dilated stride-8 models against their stride-32 JPU
counterparts and mmseg's own FastFCN (the zoo's Pascal Context 59 models,
random weights with calibrated BN): latency, FPS, GFLOPs, parameters, peak
inference and training memory, the time of one training step, the ratios
of each against the dilated model with the same head, the speed of
inference options (eager options, ONNX Runtime, OpenVINO fp32/bf16) with
the output differences they cause on noise and on a real photograph, the
issue's targets as measured, and our JointPyramidUpsampling neck against
mmseg's JPU. Prints Markdown tables."""
import argparse
from pathlib import Path

import torch

from mmseg_jpu.tools.argument_checks import (device, non_negative_int,
                                             positive_int)
from mmseg_jpu.tools.cli import HelpFormatter
from mmseg_jpu.tools.benchmark.inference_options import (PLAIN, RUNTIMES,
                                                         is_runtime,
                                                         parse_option)
from mmseg_jpu.tools.benchmark.model_benchmark import Settings, run_benchmark
from mmseg_jpu.tools.benchmark.suite import DEPTHS, HEADS, select, variants_of
from mmseg_jpu.utils.package_files import DEMO_IMAGE

CPU_OPTIONS = (PLAIN, 'bn_fold+channels_last', 'bf16', 'onnxruntime',
               'openvino', 'openvino_bf16')
CUDA_OPTIONS = (PLAIN, 'bn_fold', 'channels_last', 'bf16', 'fp16', 'compile',
                'bn_fold+channels_last+fp16+compile')


def _option(text: str) -> str:
    try:
        parse_option(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error))
    return text


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument('--heads', nargs='+', choices=HEADS, default=HEADS,
                        help='decode head families to measure')
    parser.add_argument(
        '--depths', nargs='+', type=int, choices=DEPTHS, default=DEPTHS,
        help='ResNet depths to measure')
    parser.add_argument(
        '--variants', nargs='+', choices=variants_of(),
        help='models to measure (their baselines are added); default: all')
    parser.add_argument('--device', type=device, default='cpu',
                        help='cpu, cuda or cuda:N')
    parser.add_argument(
        '--size', type=positive_int, nargs=2, default=(512, 512),
        metavar=('H', 'W'), help='inference input size')
    parser.add_argument('--batch', type=positive_int, default=1,
                        help='inference batch size')
    parser.add_argument('--runs', type=positive_int, default=10,
                        help='timed rounds (medians are reported)')
    parser.add_argument('--warmup', type=non_negative_int, default=2,
                        help='untimed calls per model and option first')
    parser.add_argument(
        '--options', nargs='+', type=_option,
        help=f'inference options: {PLAIN} (eager), the ONNX runtimes '
        f'{", ".join(RUNTIMES)}, or eager options joined with "+" (bn_fold, '
        'channels_last, bf16, fp16, compile); fp32 is always measured '
        f'(default on CPU: {" ".join(CPU_OPTIONS)}; on CUDA: '
        f'{" ".join(CUDA_OPTIONS)})')
    parser.add_argument(
        '--train-crop', type=positive_int, nargs=2, default=(480, 480),
        metavar=('H', 'W'),
        help='crop of the training-step time and training memory')
    parser.add_argument('--train-batch', type=positive_int, default=4,
                        help='batch of the training-step time and memory')
    parser.add_argument(
        '--train-runs', type=non_negative_int, default=3,
        help='timed training steps per model, after one untimed (0: skip)')
    parser.add_argument(
        '--no-memory', action='store_true',
        help='skip peak memory (a subprocess per model)')
    parser.add_argument(
        '--no-necks', action='store_true', help='skip the neck comparison')
    parser.add_argument(
        '--necks-only', action='store_true', help='only the neck comparison')
    parser.add_argument('--threads', type=positive_int,
                        default=torch.get_num_threads(),
                        help='CPU threads of torch and the ONNX runtimes')
    parser.add_argument(
        '--image', type=Path, default=DEMO_IMAGE,
        help='photograph the outputs are compared on (resized to --size)')
    parser.add_argument('--json', type=Path, help='write records here')
    parser.add_argument('--plot', type=Path, help='write an FPS chart here')
    args = parser.parse_args()
    if args.necks_only and args.no_necks:
        parser.error('--necks-only and --no-necks exclude each other')
    if not args.image.is_file():
        parser.error(f'argument --image: no such file: {args.image}')
    return args, parser


def settings_from(args, parser) -> Settings:
    cuda = torch.device(args.device).type == 'cuda'
    options = list(args.options or (CUDA_OPTIONS if cuda else CPU_OPTIONS))
    if cuda and any(map(is_runtime, options)):
        parser.error(f'{", ".join(filter(is_runtime, options))} run on the '
                     'CPU: use --device cpu, or leave them out')
    options = [PLAIN] + [o for o in dict.fromkeys(options) if o != PLAIN]
    return Settings(
        size=tuple(args.size), batch=args.batch, runs=args.runs,
        warmup=args.warmup, options=tuple(options),
        device=torch.device(args.device),
        train_crop=tuple(args.train_crop), train_batch=args.train_batch,
        train_runs=args.train_runs, memory=not args.no_memory,
        threads=args.threads, image=args.image)


def main():
    args, parser = parse_args()
    settings = settings_from(args, parser)
    entries = [] if args.necks_only else select(args.heads, args.depths,
                                                args.variants)
    print(run_benchmark(
        settings, entries,
        neck_width=None if args.no_necks else 512,
        json_path=args.json, plot_path=args.plot))


if __name__ == '__main__':
    main()
