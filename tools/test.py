# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg's tools/test.py with the plugin: the same arguments (CONFIG
CHECKPOINT, --work-dir, --out, --show-dir, --tta, --cfg-options,
--launcher), and with --launcher pytorch it also tests on CPU-only machines
(gloo). Several processes: tools/dist_test.sh."""
from mmseg_jpu.tools.launch import run_mmseg_tool

if __name__ == '__main__':
    run_mmseg_tool('test.py')
