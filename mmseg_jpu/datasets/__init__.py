# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .transforms import *  # noqa: F401,F403
from .transforms import __all__
