# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks
from .optimizers import *  # noqa: F401,F403
from .optimizers import __all__ as _optimizers
from .runner import *  # noqa: F401,F403
from .runner import __all__ as _runner

__all__ = [*_hooks, *_optimizers, *_runner]
