# Copyright (c) mmseg_jpu contributors. All rights reserved.
from pathlib import Path

import mmseg


def mmseg_tool(name: str) -> Path:
    """Path of one of mmseg's tools (e.g. ``'test.py'``), which mmseg
    installs in ``mmseg/.mim/tools``, where ``mim train`` finds them."""
    path = Path(mmseg.__file__).parent / '.mim' / 'tools' / name
    if not path.is_file():
        raise FileNotFoundError(
            f'mmseg tool {name} not found at {path}; reinstall mmseg '
            '(mmsegmentation or onedl-mmsegmentation) from a wheel')
    return path
