# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg's tools/test.py with the plugin, same arguments; --launcher
pytorch also tests on CPU-only machines (tools/dist_test.sh)."""
from mmseg_jpu.tools.mmseg_tools import run_mmseg_tool

if __name__ == '__main__':
    run_mmseg_tool('test.py')
