# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Locate and run the command-line tools installed with mmseg."""
import re
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

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


def run_and_echo(command: List[str]) -> str:
    """Run a command, echo its output live and return that output.

    Raises:
        subprocess.CalledProcessError: If the command fails.
    """
    lines = []
    with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command,
                                            ''.join(lines))
    return ''.join(lines)


def miou_from_test_log(log: str) -> Optional[float]:
    """The mIoU that mmseg's ``tools/test.py`` printed in its log, if any."""
    found = re.findall(r'Iter\(test\).*?mIoU: ([0-9.]+)', log)
    return float(found[-1]) if found else None
