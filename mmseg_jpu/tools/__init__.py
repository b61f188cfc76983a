# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The code behind the command-line entry points in ``tools/``."""
