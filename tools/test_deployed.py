# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Evaluate an exported model (.onnx or .xml) as mmseg's tools/test.py
evaluates a checkpoint; the metrics go to WORK_DIR/<timestamp>/."""
import os.path as osp

from mmengine.runner import Runner

from mmseg_jpu.datasets.dataset_check import check_layout
from mmseg_jpu.deploy import (BACKENDS, PRECISIONS, ExportedSegmentor,
                              backend_for, check_backend)
from mmseg_jpu.tools.argument_checks import existing_file
from mmseg_jpu.tools.cli import (add_config_arguments, load_config_arguments,
                                 run, tool_parser)

#: the Runner's arguments taken from the config as mmseg's tools/test.py
RUNNER_KEYS = ('test_dataloader', 'test_evaluator', 'test_cfg', 'env_cfg',
               'log_processor', 'log_level', 'visualizer', 'default_scope')


def parse_args():
    parser = tool_parser(__doc__)
    add_config_arguments(parser)
    parser.add_argument('model', type=existing_file,
                        help='the exported model: .onnx or .xml')
    parser.add_argument('--backend', choices=BACKENDS,
                        help='default: openvino for .xml, else onnxruntime')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp32',
                        help='bf16 needs --backend openvino')
    parser.add_argument('--work-dir', help='default: as tools/test.py')
    args = parser.parse_args()
    if args.model.suffix not in ('.onnx', '.xml'):
        parser.error(f'{args.model} is not an exported model (.onnx or .xml)')
    try:
        args.backend = backend_for(args.model, args.backend)
        check_backend(args.backend, args.precision)
    except ValueError as error:
        parser.error(str(error))
    return parser, args


def main():
    parser, args = parse_args()
    cfg = load_config_arguments(parser, args)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    check_layout('test', cfg.test_dataloader.dataset, args.config)
    model = ExportedSegmentor(cfg, args.model, args.backend, args.precision)
    model.check_classes(cfg.test_dataloader.dataset)
    hooks = {  # SegmentorCheckHook checks a PyTorch model's parts
        name: hook
        for name, hook in (cfg.get('default_hooks') or {}).items()
        if hook and hook.get('type') != 'SegmentorCheckHook'
    }
    Runner(model=model, work_dir=cfg.work_dir, default_hooks=hooks, cfg=cfg,
           **{key: cfg[key] for key in RUNNER_KEYS if key in cfg}).test()


if __name__ == '__main__':
    run(main, 'test_deployed', (ValueError, OSError, ModuleNotFoundError))
