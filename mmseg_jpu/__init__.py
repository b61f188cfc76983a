# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""FastFCN's Joint Pyramid Upsampling for MMSegmentation.

Importing this package checks the installed OpenMMLab versions and
registers the plugin's modules into mmseg's registries, nothing else;
:mod:`mmseg_jpu.enable_weights_only_loading` switches on weights-only
checkpoint loading.
"""
from .utils.version_check import check_versions

check_versions()

from .datasets import *  # noqa: E402,F401,F403
from .engine import *  # noqa: E402,F401,F403
from .evaluation import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403
from .version import __version__  # noqa: E402

__all__ = ['__version__']
