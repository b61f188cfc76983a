# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""FastFCN's Joint Pyramid Upsampling for MMSegmentation.

Importing this package (directly or through ``custom_imports`` in a config)
checks the installed OpenMMLab versions, makes mmengine load local checkpoint
files with ``weights_only=True`` only, and registers the plugin's modules into
mmseg's registries.
"""
from .utils.version_check import check_versions

check_versions()

from .utils.runner_checkpoint_types import allow_runner_checkpoint_types  # noqa: E402,E501

allow_runner_checkpoint_types()

from .utils.weights_only_checkpoint_loader import (  # noqa: E402
    use_weights_only_local_loader)

use_weights_only_local_loader()

from .datasets import *  # noqa: E402,F401,F403
from .engine import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403
from .version import __version__  # noqa: E402

__all__ = ['__version__']
