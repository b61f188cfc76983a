# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Runner checkpoints load with ``weights_only=True`` (what torch>=2.6 and
mmengine 0.10.7 do when resuming or testing), nothing else is let in, and
the allowed types are allowed only while the plugin's loader loads."""
from collections import OrderedDict

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner

from mmseg_jpu.checkpoint import (
    UntrustedCheckpointError, load_weights_only)
from .conftest import TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config


@pytest.mark.slow
def test_runner_checkpoint_loads_with_weights_only(tmp_path):
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, tmp_path, max_iters=2)
    Runner.from_cfg(cfg).train()
    checkpoint = load_weights_only(tmp_path / 'iter_2.pth')
    loss = checkpoint['message_hub']['log_scalars']['train/loss']
    assert loss.mean() > 0
    assert checkpoint['meta']['iter'] == 2


class _GetattrPayload:
    """Pickles as ``getattr(owner, name)``."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return getattr, (self.owner, self.name)


@pytest.mark.parametrize('owner, name', [
    (OrderedDict, 'fromkeys'),
    (HistoryBuffer, '__init__'),
    (HistoryBuffer, 'register_statistics'),
])
def test_getattr_beyond_history_buffer_statistics_is_refused(
        tmp_path, owner, name):
    path = tmp_path / 'hostile.pth'
    torch.save({'payload': _GetattrPayload(owner, name)}, path)
    with pytest.raises(
            UntrustedCheckpointError,
            match=r'refused: unpickling it would call getattr\(.*, \'' +
            name):
        load_weights_only(path)


def test_runner_types_are_allowed_only_while_loading(tmp_path):
    before = set(torch.serialization.get_safe_globals())
    path = tmp_path / 'buffer.pth'
    torch.save({'buffer': HistoryBuffer([1.0], [1])}, path)
    assert load_weights_only(path)['buffer'].current() == 1.0
    assert set(torch.serialization.get_safe_globals()) == before
