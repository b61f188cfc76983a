# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks
from .model_wrappers import *  # noqa: F401,F403
from .model_wrappers import __all__ as _model_wrappers
from .optimizers import *  # noqa: F401,F403
from .optimizers import __all__ as _optimizers
from .runner import *  # noqa: F401,F403
from .runner import __all__ as _runner

__all__ = [*_hooks, *_model_wrappers, *_optimizers, *_runner]
