# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Locate mmseg's command-line tools and read the metrics they write."""
import json
from pathlib import Path
from typing import Dict

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


def read_test_metrics(work_dir: Path) -> Dict[str, float]:
    """The metrics of the last test run in ``work_dir`` (e.g. by mmseg's
    ``tools/test.py --work-dir``), from the JSON file that mmengine's
    ``LoggerHook`` writes beside the log: ``<timestamp>/<timestamp>.json``.

    Raises:
        FileNotFoundError: If no run in ``work_dir`` wrote metrics.
    """
    runs = sorted(path for path in Path(work_dir).glob('*/*.json')
                  if path.stem == path.parent.name)
    if not runs:
        raise FileNotFoundError(f'no test metrics (<timestamp>/<timestamp>'
                                f'.json) in {work_dir}')
    last_line = runs[-1].read_text().strip().splitlines()[-1]
    return json.loads(last_line)
