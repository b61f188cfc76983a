# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Speed, FLOPs, parameters and memory of the dilated and the JPU models,
measured side by side (``tools/benchmark.py``)."""
