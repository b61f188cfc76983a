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
from mmseg_jpu.tools.infer import (EXPORTED_SUFFIXES, legend_text,
                                   plan_outputs, segment, writes_into_folder)
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
        '--labels',
        help='also write the class-index mask: a .png file or a folder, as '
        'for --out')
    parser.add_argument(
        '--device', type=device, default='cpu', help='cpu, cuda or cuda:N')
    parser.add_argument(
        '--opacity', type=fraction, default=0.5,
        help='opacity of the mask in the overlay, 0 to 1')
    parser.add_argument(
        '--backend', choices=BACKENDS,
        help='runtime of an exported model (default: onnxruntime for .onnx, '
        'openvino for .xml, which only openvino reads)')
    parser.add_argument(
        '--precision', choices=PRECISIONS,
        help='precision of an exported model; bf16 needs --backend '
        'openvino and a CPU with AVX-512 BF16 or AMX (default: fp32)')
    args = parser.parse_args()
    suffix = args.checkpoint.suffix
    given = [f'--{name}' for name in ('backend', 'precision')
             if getattr(args, name)]
    if suffix not in EXPORTED_SUFFIXES and given:
        parser.error(f'{" and ".join(given)} apply to '
                     f'{" and ".join(EXPORTED_SUFFIXES)} models; '
                     f'{args.checkpoint} runs in PyTorch on --device')
    if suffix in EXPORTED_SUFFIXES and args.device != 'cpu':
        parser.error(f'a {suffix} model runs on the CPU (--backend); '
                     f'--device {args.device} applies to .pth checkpoints')
    for option in ('out', 'labels'):
        value = getattr(args, option)
        if value:
            check = (output_folder if writes_into_folder(args.image, value)
                     else output_file(('.png', )))
            parse_as(parser, f'--{option}', check, value)
    try:
        if suffix in EXPORTED_SUFFIXES:
            args.precision = args.precision or 'fp32'
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
    for image, outputs, entries in segment(
            args.image, cfg, args.checkpoint, args.out, args.device,
            args.opacity, args.labels, args.backend, args.precision):
        print(f'{image} -> {", ".join(str(f) for f in outputs if f)}')
        for entry in entries:
            shown = (f'; drawn in RGB {entry.color}, too close to another '
                     "class's" if entry.palette_color else '')
            print(f'  {legend_text(entry)} (label {entry.label}, RGB '
                  f'{entry.palette_color or entry.color}{shown})')


if __name__ == '__main__':
    run(main, 'infer', (OSError, ValueError, CheckpointLoadError,
                        ModuleNotFoundError))
