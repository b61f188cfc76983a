# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Callable, Optional

import torch
from mmengine.dist import (all_gather_object, all_reduce, get_rank,
                           is_distributed)
from mmengine.logging import MMLogger


def raise_on_every_rank(check: Callable[[], None],
                        logger: Optional[MMLogger] = None) -> None:
    """Run ``check``; if it raised on any rank, raise the error of the
    lowest such rank on every rank, after rank 0 logs it to ``logger``.

    A check that fails on one rank only would otherwise stop that rank
    alone, leave the others waiting in the next collective, and miss the
    work dir's log (which rank 0 writes). Every rank must call it at the
    same point (it is a collective); a single process just runs ``check``.
    """
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
    if logger is not None and get_rank() == 0:
        logger.error(f'{type(error).__name__}: {error}')
    raise error
