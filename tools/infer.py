# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segment an image, or every image of a folder. Writes the colour mask to
OUT, and beside it OUT_overlay.png: the image under the mask with a legend
of the classes present (colour, share of pixels, name), which is also
printed; a class whose colour is hard to tell from another present class's
is drawn in another colour in the overlay and legend. With --labels, also
writes the class-index mask that other programs read (PNG, uint8, or
uint16 for models of more than 255 classes). A folder of images writes
<name>.png and <name>_overlay.png into the folder OUT (and <name>.png into
the folder LABELS). CHECKPOINT may be an ONNX file written by
tools/export_onnx.py from CONFIG: it runs on the CPU with ONNX Runtime or
OpenVINO (--backend, --precision), with the same test-time preprocessing
as the PyTorch model; or the int8 OpenVINO IR (.xml) of tools/quantize.py,
which only OpenVINO runs (the default backend for .xml)."""
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
    _check_runtime(parser, args)
    _check_outputs(parser, args)
    return parser, args


def _check_runtime(parser, args) -> None:
    """Refuse --backend/--precision for a PyTorch checkpoint, --device for
    an exported model, an IR with ONNX Runtime, and precisions the backend
    does not run; fill in the defaults."""
    suffix = args.checkpoint.suffix
    exported = ' and '.join(EXPORTED_SUFFIXES)
    if suffix not in EXPORTED_SUFFIXES:
        given = [f'--{name}' for name in ('backend', 'precision')
                 if getattr(args, name) is not None]
        if given:
            parser.error(f'{" and ".join(given)} apply to {exported} '
                         f'models; {args.checkpoint} runs in PyTorch on '
                         '--device')
        return
    if args.device != 'cpu':
        parser.error(f'a {suffix} model runs on the CPU (--backend); '
                     f'--device {args.device} applies to .pth checkpoints')
    args.precision = args.precision or 'fp32'
    try:
        args.backend = backend_for(args.checkpoint, args.backend)
        check_backend(args.backend, args.precision)
    except ValueError as error:
        parser.error(str(error))


def _check_outputs(parser, args) -> None:
    """Refuse output paths that are not .png files or writable folders, or
    that would overwrite inputs or each other; make the output folders."""
    folders = []
    for option in ('out', 'labels'):
        value = getattr(args, option)
        if value is None:
            continue
        into_folder = writes_into_folder(args.image, value)
        check = output_folder if into_folder else output_file(('.png', ))
        path = parse_as(parser, f'--{option}', check, value)
        if into_folder:
            folders.append(path)
    try:
        plan_outputs(args.image, args.out, args.labels)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


def main():
    parser, args = parse_args()
    cfg = load_config_arguments(parser, args)
    use_weights_only_local_loader()
    quiet_logging()
    for segmented in segment(args.image, cfg, args.checkpoint, args.out,
                             args.device, args.opacity, args.labels,
                             args.backend, args.precision):
        files = ', '.join(map(str, segmented.outputs.files()))
        print(f'{segmented.image} -> {files}')
        for entry in segmented.legend:
            shown = (f'; drawn in RGB {entry.color}, too close to another '
                     "class's" if entry.palette_color else '')
            print(f'  {legend_text(entry)} (label {entry.label}, RGB '
                  f'{entry.palette_color or entry.color}{shown})')


if __name__ == '__main__':
    run(main, 'infer', (OSError, ValueError, CheckpointLoadError,
                        ModuleNotFoundError))
