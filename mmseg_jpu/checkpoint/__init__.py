# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Checkpoint files loaded weights-only, with one true message per cause a
file cannot be loaded: not a checkpoint, truncated, corrupt, needs globals
that weights-only loading refuses (named), a pickle protocol it cannot
read, or a checkpoint of the other kind (official FastFCN or mmseg)."""
from .errors import (CheckpointKindError, CheckpointLoadError,
                     CorruptCheckpointError, NotACheckpointError,
                     PickleProtocolError, TruncatedCheckpointError,
                     UntrustedCheckpointError)
from .kind import state_dict_of
from .loader import (checkpoint_file_problem, load_weights_only,
                     use_weights_only_local_loader)

__all__ = [
    'CheckpointKindError', 'CheckpointLoadError', 'CorruptCheckpointError',
    'NotACheckpointError', 'PickleProtocolError', 'TruncatedCheckpointError',
    'UntrustedCheckpointError', 'checkpoint_file_problem',
    'load_weights_only', 'state_dict_of', 'use_weights_only_local_loader'
]
