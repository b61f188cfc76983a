# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Why a checkpoint file cannot be loaded: one exception class per cause,
whose ``summary`` says it in a few words after the file's name."""


class CheckpointLoadError(RuntimeError):
    """A checkpoint file exists but cannot be loaded."""
    summary = 'cannot be loaded'


class NotACheckpointError(CheckpointLoadError):
    """Other bytes, another archive, a TorchScript model or a plain
    pickle."""
    summary = 'is not a checkpoint'


class TruncatedCheckpointError(CheckpointLoadError):
    """The start of a checkpoint whose end is missing."""
    summary = 'is truncated'


class CorruptCheckpointError(CheckpointLoadError):
    """Complete, but bytes in it changed after it was written."""
    summary = 'is corrupt'


class UntrustedCheckpointError(CheckpointLoadError):
    """Its pickle needs globals that weights-only loading refuses."""
    summary = 'needs globals that weights-only loading refuses'


class PickleProtocolError(CheckpointLoadError):
    """Pickled with a protocol weights-only loading cannot read."""
    summary = 'uses a pickle protocol weights-only loading cannot read'


class CheckpointKindError(CheckpointLoadError):
    """An official FastFCN checkpoint given to mmseg, or an mmseg one given
    to the FastFCN converter."""
    summary = 'is a checkpoint of another kind'
