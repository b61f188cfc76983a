# Copyright (c) mmseg_jpu contributors. All rights reserved.
from pathlib import Path

import mmseg


def mmseg_tool(name: str) -> Path:
    """Path of one of mmseg's tools (e.g. ``'test.py'``) in
    ``mmseg/.mim/tools``, where ``mim train`` finds them."""
    path = Path(mmseg.__file__).parent / '.mim' / 'tools' / name
    if not path.is_file():
        raise FileNotFoundError(f'{path} not found: reinstall mmseg '
                                '(onedl-)mmsegmentation from a wheel')
    return path
