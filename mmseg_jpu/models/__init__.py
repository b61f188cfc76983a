# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .backbones import __all__ as _backbones
from .decode_heads import *  # noqa: F401,F403
from .decode_heads import __all__ as _decode_heads
from .necks import *  # noqa: F401,F403
from .necks import __all__ as _necks

__all__ = [*_backbones, *_decode_heads, *_necks]
