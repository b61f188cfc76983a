# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Iterable


def listing(items: Iterable, limit: int = 5) -> str:
    """``'a, b, c'``: the first ``limit`` items, then ``' and N more'``."""
    items = [str(item) for item in items]
    more = f' and {len(items) - limit} more' if len(items) > limit else ''
    return ', '.join(items[:limit]) + more
