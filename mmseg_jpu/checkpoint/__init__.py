# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Weights-only loading of checkpoint files, with one error per cause a
file cannot be loaded (see :mod:`.errors`)."""
from .errors import (CheckpointKindError, CheckpointLoadError,
                     CorruptCheckpointError, NotACheckpointError,
                     TruncatedCheckpointError, UntrustedCheckpointError)
from .loader import (checkpoint_file_problem, load_weights_only, state_dict_of,
                     use_weights_only_local_loader)

__all__ = [
    'CheckpointKindError', 'CheckpointLoadError', 'CorruptCheckpointError',
    'NotACheckpointError', 'TruncatedCheckpointError',
    'UntrustedCheckpointError', 'checkpoint_file_problem', 'load_weights_only',
    'state_dict_of', 'use_weights_only_local_loader'
]
