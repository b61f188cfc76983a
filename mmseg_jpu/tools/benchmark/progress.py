# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""A one-line progress display on stderr."""
import sys
import time
from typing import TextIO


class Progress:
    """Counts steps towards ``total`` and redraws one status line.

    Args:
        total (int): Expected number of steps (the count may pass it).
        stream (TextIO): Where to draw. Default: ``sys.stderr``.
    """

    def __init__(self, total: int, stream: TextIO = sys.stderr):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream
        self.start = time.monotonic()

    def step(self, description: str) -> None:
        """Count one step and show what it was."""
        self.done += 1
        elapsed = int(time.monotonic() - self.start)
        percent = min(100, 100 * self.done // self.total)
        line = (f'[{percent:3d}% {elapsed // 60:02d}:{elapsed % 60:02d}] '
                f'{description}')
        self.stream.write('\r' + line[:119].ljust(119))
        self.stream.flush()

    def close(self) -> None:
        """End the status line."""
        self.stream.write('\n')
        self.stream.flush()
