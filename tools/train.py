# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg's tools/train.py with the plugin, same arguments; --launcher
pytorch also trains on CPU-only machines (tools/dist_train.sh)."""
from mmseg_jpu.tools.mmseg_tools import run_mmseg_tool

if __name__ == '__main__':
    run_mmseg_tool('train.py')
