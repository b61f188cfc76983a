# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Locate mmseg's command-line tools."""
from pathlib import Path

import mmseg


def mmseg_tool(name: str) -> Path:
    """Path of one of mmseg's tools, e.g. ``mmseg_tool('test.py')``.

    mmseg installs its ``tools/`` folder inside the package (``mmseg/.mim``),
    which is also where ``mim train``/``mim test`` find them.
    """
    path = Path(mmseg.__file__).parent / '.mim' / 'tools' / name
    if not path.is_file():
        raise FileNotFoundError(
            f'mmseg tool {name} not found at {path}; reinstall mmseg '
            '(mmsegmentation or onedl-mmsegmentation) from a wheel')
    return path

