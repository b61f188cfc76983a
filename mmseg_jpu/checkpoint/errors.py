# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Why a checkpoint file cannot be loaded: one exception class per cause,
whose ``summary`` says it in a few words after the file's name."""


class CheckpointLoadError(RuntimeError):
    """A checkpoint file exists but cannot be loaded."""
    summary = 'cannot be loaded'


class NotACheckpointError(CheckpointLoadError):
    """Not a file that weights-only loading can read."""
    summary = 'is not a checkpoint'


class TruncatedCheckpointError(CheckpointLoadError):
    """The start of a checkpoint whose end is missing."""
    summary = 'is truncated'


class CorruptCheckpointError(CheckpointLoadError):
    """Bytes in it changed or went missing after it was written."""
    summary = 'is corrupt'


class UntrustedCheckpointError(CheckpointLoadError):
    """Its pickle needs globals that weights-only loading refuses."""
    summary = 'needs globals that weights-only loading refuses'


class CheckpointKindError(CheckpointLoadError):
    """An official FastFCN checkpoint given to mmseg, or an mmseg one given
    to the FastFCN converter."""
    summary = 'is a checkpoint of another kind'
