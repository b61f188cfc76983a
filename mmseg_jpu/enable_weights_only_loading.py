# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Import this module to make mmengine load every local checkpoint of the
process (``load_from``, ``--resume``, ``init_model``, ``Pretrained``) with
:func:`mmseg_jpu.checkpoint.load_weights_only`. The plugin's configs import
it; add it to your own with::

    custom_imports = dict(
        imports=['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading'],
        allow_failed_imports=False)
"""
from .checkpoint import use_weights_only_local_loader

use_weights_only_local_loader()
