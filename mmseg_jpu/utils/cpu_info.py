# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The CPU's model name and instruction-set flags, as Linux reports them."""
import platform
from pathlib import Path
from typing import List, Tuple


def cpu_model_and_flags(
        cpuinfo: Path = Path('/proc/cpuinfo')) -> Tuple[str, List[str]]:
    """The model name and flags of the first CPU in ``cpuinfo`` (what
    ``lscpu`` shows); the machine type and no flags if it is unreadable."""
    try:
        lines = cpuinfo.read_text().split('\n\n')[0].splitlines()
    except OSError:
        lines = []
    fields = {key.strip(): value.strip()
              for key, _, value in (line.partition(':') for line in lines)}
    return (fields.get('model name') or platform.machine(),
            fields.get('flags', '').split())
