# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg's tools/train.py with the plugin: the same arguments (CONFIG,
--work-dir, --resume, --amp, --cfg-options, --launcher), and with
--launcher pytorch it also trains on CPU-only machines (gloo; SyncBN
converted to BatchNorm). Several processes: tools/dist_train.sh."""
from mmseg_jpu.tools.launch import run_mmseg_tool

if __name__ == '__main__':
    run_mmseg_tool('train.py')
