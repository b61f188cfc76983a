# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Quantise MODEL.onnx (tools/export_onnx.py of CONFIG) to the int8
OpenVINO IR OUT.xml with NNCF, calibrated on the images of the config's
dataset or of a folder as the config's test pipeline feeds them to the
network (see docs/deployment.md)."""
from pathlib import Path

from mmseg_jpu.datasets.dataset_check import SPLITS, check_layout
from mmseg_jpu.deploy.quantization import (MIN_IMAGES, calibration_inputs,
                                           dataset_images, int8_instructions,
                                           quantize_onnx, spread)
from mmseg_jpu.tools.argument_checks import (existing_file, output_file,
                                             positive_int)
from mmseg_jpu.tools.cli import (ToolError, add_config_arguments,
                                 load_config_arguments, run, tool_parser)
from mmseg_jpu.tools.infer import image_paths
from mmseg_jpu.utils.cpu_info import cpu_model_and_flags
from mmseg_jpu.utils.quiet_logging import quiet_logging

NUM_IMAGES = 300
WHY_MIN_IMAGES = (f'calibration needs at least {MIN_IMAGES} images: ranges '
                  'measured on fewer scenes clip the activations of others '
                  f'(NNCF advises {NUM_IMAGES})')


def parse_args():
    parser = tool_parser(__doc__)
    add_config_arguments(parser)
    parser.add_argument('model', type=existing_file,
                        help='the fp32 .onnx file exported from CONFIG')
    parser.add_argument('out', type=output_file(('.xml', )),
                        help='the OpenVINO IR to write')
    parser.add_argument('--num-images', type=positive_int, default=NUM_IMAGES,
                        help='images to calibrate on')
    source = parser.add_mutually_exclusive_group()
    source.add_argument('--split', choices=SPLITS,
                        help='split to calibrate on (default: train)')
    source.add_argument('--images', type=Path, metavar='DIR',
                        help="calibrate on this folder's images instead")
    args = parser.parse_args()
    if args.model.suffix != '.onnx':
        parser.error(f'MODEL must be an .onnx file of tools/export_onnx.py, '
                     f'got {args.model}')
    if args.num_images < MIN_IMAGES:
        parser.error(f'--num-images {args.num_images}: {WHY_MIN_IMAGES}')
    return parser, args


def calibration_images(cfg, args):
    if args.images:
        images = spread(image_paths(args.images), args.num_images)
        where = f'the folder {args.images}'
    else:
        split = args.split or 'train'
        dataset = cfg[f'{split}_dataloader'].dataset
        check_layout(split, dataset, args.config)
        images = dataset_images(cfg, split, args.num_images)
        where = f'the {split} split of {dataset.get("type")}'
    if len(images) < MIN_IMAGES:
        raise ToolError(f'{where} has {len(images)} image(s); '
                        f'{WHY_MIN_IMAGES}')
    fewer = (f' (all it has, fewer than --num-images {args.num_images})'
             if len(images) < args.num_images else '')
    return images, f'{len(images)} images of {where}{fewer}'


def main():
    parser, args = parse_args()
    cfg = load_config_arguments(parser, args)
    quiet_logging()
    images, source = calibration_images(cfg, args)
    inputs = calibration_inputs(cfg, args.model, images)
    slide = cfg.model.get('test_cfg', {}).get('mode') == 'slide'
    print(f'calibrated on {source}: {len(inputs)} network inputs '
          f'({"windows" if slide else "whole images"})')
    weights = quantize_onnx(args.model, inputs, args.out).with_suffix('.bin')
    flags = int8_instructions(cpu_model_and_flags()[1])
    print(f'wrote {args.out} and {weights.name} '
          f'({weights.stat().st_size / 2**20:.1f} MiB)')
    print(f'CPU: int8 instructions {", ".join(flags)}' if flags else
          'note: no AVX-512 VNNI, AVX-VNNI or AMX found on this CPU: the '
          'int8 model runs, but slowly, maybe slower than fp32')


if __name__ == '__main__':
    run(main, 'quantize', (ValueError, OSError, ModuleNotFoundError))
