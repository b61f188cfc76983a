# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Evaluate an exported model (an .onnx file of tools/export_onnx.py, or an
int8 .xml of tools/quantize.py) on the config's test dataset as mmseg's
tools/test.py evaluates a checkpoint: mmengine's Runner with the config's
test dataloader, evaluator (mmseg's IoUMetric table) and whole-image or
sliding-window inference (the model's test_cfg), the network run by ONNX
Runtime or OpenVINO on the CPU. The metrics are written where mmseg's
tools/test.py writes them: WORK_DIR/<timestamp>/<timestamp>.json."""
import os.path as osp

from mmengine.runner import Runner

from mmseg_jpu.datasets.dataset_check import check_layout
from mmseg_jpu.deploy import ExportedSegmentor
from mmseg_jpu.deploy.runtimes import (BACKENDS, PRECISIONS, backend_for,
                                      check_backend)
from mmseg_jpu.tools.argument_checks import existing_file
from mmseg_jpu.tools.cli import (add_config_arguments, load_config_arguments,
                                 run, tool_parser)


def parse_args():
    parser = tool_parser(__doc__)
    add_config_arguments(parser)
    parser.add_argument(
        'model', type=existing_file,
        help='the exported model: .onnx, or an OpenVINO IR .xml')
    parser.add_argument(
        '--backend', choices=BACKENDS,
        help='runtime (default: onnxruntime for .onnx, openvino for .xml, '
        'which only openvino reads)')
    parser.add_argument(
        '--precision', choices=PRECISIONS, default='fp32',
        help='precision of the layers in floating point; bf16 needs '
        '--backend openvino and a CPU with AVX-512 BF16 or AMX')
    parser.add_argument(
        '--work-dir',
        help='folder of the log and metrics (default: the config\'s '
        'work_dir, else work_dirs/<config name>, as mmseg\'s tools/test.py)')
    args = parser.parse_args()
    check_runtime(parser, args)
    return parser, args


def check_runtime(parser, args) -> None:
    """Fill in the backend of the model's suffix; refuse .xml with ONNX
    Runtime, other suffixes and precisions the backend does not run."""
    if args.model.suffix not in ('.onnx', '.xml'):
        parser.error(f'{args.model} is not an exported model (.onnx or .xml)')
    try:
        args.backend = backend_for(args.model, args.backend)
        check_backend(args.backend, args.precision)
    except ValueError as error:
        parser.error(str(error))


def without_segmentor_check(hooks):
    """The config's default hooks without ``SegmentorCheckHook``, which
    checks a PyTorch model's parts."""
    return {name: hook for name, hook in (hooks or {}).items()
            if hook and hook.get('type') != 'SegmentorCheckHook'}


def main():
    parser, args = parse_args()
    cfg = load_config_arguments(parser, args)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    check_layout('test', cfg.test_dataloader.dataset, args.config)
    model = ExportedSegmentor(cfg, args.model, args.backend, args.precision)
    model.check_classes(cfg.test_dataloader.dataset)
    runner = Runner(
        model=model,
        work_dir=cfg.work_dir,
        test_dataloader=cfg.test_dataloader,
        test_evaluator=cfg.test_evaluator,
        test_cfg=cfg.get('test_cfg'),
        default_hooks=without_segmentor_check(cfg.get('default_hooks')),
        env_cfg=cfg.get('env_cfg', {}),
        log_processor=cfg.get('log_processor'),
        log_level=cfg.get('log_level', 'INFO'),
        visualizer=cfg.get('visualizer'),
        default_scope=cfg.get('default_scope', 'mmseg'),
        cfg=cfg)
    runner.test()


if __name__ == '__main__':
    run(main, 'test_deployed', (ValueError, OSError, ModuleNotFoundError))
