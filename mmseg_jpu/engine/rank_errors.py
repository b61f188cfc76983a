# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Callable

import torch
from mmengine.dist import (all_gather_object, all_reduce, get_rank,
                           is_distributed)
from mmengine.logging import MMLogger


def raise_on_every_rank(check: Callable[[], None], logger: MMLogger) -> None:
    """Run ``check`` on every rank (a collective); if it raised on any rank,
    raise the lowest such rank's error on all ranks, logged by rank 0, so
    that no rank waits alone in the next collective."""
    try:
        check()
        error = None
    except Exception as raised:  # re-raised below, on every rank
        error = raised
    if is_distributed():
        failed = torch.tensor([float(error is not None)])
        all_reduce(failed)
        if failed.item():
            error = next(e for e in all_gather_object(error) if e is not None)
    if error is None:
        return
    if get_rank() == 0:
        logger.error(f'{type(error).__name__}: {error}')
    raise error
