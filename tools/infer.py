# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment an image, or every image of a folder: write the colour mask
(OUT), the image under it with a legend of the classes present
(OUT_overlay.png; the legend is printed too) and, with --labels, the
class-index mask (PNG, uint16 above 255 classes). CHECKPOINT may be an
export of tools/export_onnx.py or tools/quantize.py, run on the CPU."""
from mmseg_jpu.checkpoint import (CheckpointLoadError,
                                  use_weights_only_local_loader)
from mmseg_jpu.deploy.runtimes import (BACKENDS, PRECISIONS, backend_for,
                                      check_backend)
from mmseg_jpu.tools.argument_checks import (device, existing_file, fraction,
                                             output_file, output_folder,
                                             parse_as)
from mmseg_jpu.tools.cli import (add_config_arguments, load_config_arguments,
                                 run, tool_parser)
from mmseg_jpu.tools.infer import (EXPORTED_SUFFIXES, plan_outputs,
                                   segment, writes_into_folder)
from mmseg_jpu.utils.quiet_logging import quiet_logging


def parse_args():
    parser = tool_parser(__doc__)
    parser.add_argument('image', help='image file, or folder of images')
    add_config_arguments(parser)
    parser.add_argument(
        'checkpoint', type=existing_file,
        help='checkpoint file (.pth), or an exported .onnx or .xml model')
    parser.add_argument(
        '--out', required=True,
        help='colour mask to write: a .png file, or a folder (an existing '
        'one, one ending with /, or any path when IMAGE is a folder)')
    parser.add_argument(
        '--labels', help='also write the class-index mask, as for --out')
    parser.add_argument(
        '--device', type=device, default='cpu', help='cpu, cuda or cuda:N')
    parser.add_argument(
        '--opacity', type=fraction, default=0.5,
        help='opacity of the mask in the overlay, 0 to 1')
    parser.add_argument(
        '--backend', choices=BACKENDS,
        help='runtime of an exported model (default: openvino for .xml, '
        'else onnxruntime)')
    parser.add_argument(
        '--precision', choices=PRECISIONS, default='fp32',
        help='precision of an exported model; bf16 needs openvino and a CPU '
        'with AVX-512 BF16 or AMX')
    args = parser.parse_args()
    exported = args.checkpoint.suffix in EXPORTED_SUFFIXES
    if args.device != 'cpu' if exported else args.backend:
        parser.error('--backend applies to .onnx and .xml models, --device '
                     'to .pth checkpoints')
    for option in ('out', 'labels'):
        value = getattr(args, option)
        if value:
            check = (output_folder if writes_into_folder(args.image, value)
                     else output_file())
            parse_as(parser, f'--{option}', check, value)
    try:
        if exported:
            args.backend = backend_for(args.checkpoint, args.backend)
            check_backend(args.backend, args.precision)
        plan_outputs(args.image, args.out, args.labels)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    return parser, args


def main():
    parser, args = parse_args()
    cfg = load_config_arguments(parser, args)
    use_weights_only_local_loader()
    quiet_logging()
    for image, files, entries in segment(
            args.image, cfg, args.checkpoint, args.out, args.device,
            args.opacity, args.labels, backend=args.backend,
            precision=args.precision):
        print(f'{image} -> {", ".join(map(str, files))}')
        for entry in entries:
            shown = ('' if entry.color == entry.palette_color else
                     f'; drawn in RGB {entry.color}, too close to another '
                     "class's")
            print(f'  {entry.share:6.1%}  {entry.name} (label {entry.label},'
                  f' RGB {entry.palette_color}{shown})')


if __name__ == '__main__':
    run(main, 'infer', (OSError, ValueError, CheckpointLoadError,
                        ModuleNotFoundError))
