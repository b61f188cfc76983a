# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Import this module to load every local checkpoint with
``weights_only=True``.

For the rest of the process, mmengine then reads ``load_from``,
``--resume``, mmseg's ``tools/test.py`` checkpoints, ``init_model`` and
``Pretrained`` init files with :func:`mmseg_jpu.checkpoint.load_weights_only`:
a pickle that would run code is refused instead of run (onedl-mmengine
falls back to ``weights_only=False``), Runner checkpoints load on
torch >= 2.6 with mmengine 0.10.7, and a missing, truncated or refused file
gets an error that names it. The plugin's configs switch it on; add it to
your own with one line::

    custom_imports = dict(
        imports=['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading'],
        allow_failed_imports=False)

``import mmseg_jpu`` alone only registers the plugin's modules.
"""
from .checkpoint import use_weights_only_local_loader

use_weights_only_local_loader()
