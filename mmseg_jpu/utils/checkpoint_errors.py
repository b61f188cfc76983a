# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Why a checkpoint file cannot be loaded: one exception class per cause.

Every loader of the plugin raises these with one message per cause (see
``checkpoint_file_inspection``), whichever path loads the file: mmengine's
``load_from``/``--resume``, mmseg's ``tools/test.py`` and ``init_model``,
``tools/infer.py`` and the FastFCN converter. ``summary`` says the cause in
a few words, after the file's name.
"""


class CheckpointLoadError(RuntimeError):
    """A checkpoint file exists but cannot be loaded."""

    summary = 'cannot be loaded'


class NotACheckpointError(CheckpointLoadError):
    """The file is not a checkpoint at all: other bytes (text, an image, an
    error page), another archive, a TorchScript model or a plain pickle."""

    summary = 'is not a checkpoint'


class TruncatedCheckpointError(CheckpointLoadError):
    """The file is the start of a checkpoint whose end is missing (empty,
    cut while written or copied)."""

    summary = 'is truncated'


class CorruptCheckpointError(CheckpointLoadError):
    """The file is complete, but bytes in it changed after it was written
    (its zip checksums do not match, or its pickle is invalid)."""

    summary = 'is corrupt'


class UntrustedCheckpointError(CheckpointLoadError):
    """The file's pickle needs globals (functions, classes) that
    weights-only loading does not allow: unpickling would call them."""

    summary = 'needs globals that weights-only loading refuses'


class PickleProtocolError(CheckpointLoadError):
    """The file needs only allowed globals but was pickled with a protocol
    that ``torch.load(weights_only=True)`` cannot read."""

    summary = 'uses a pickle protocol weights-only loading cannot read'


class CheckpointKindError(CheckpointLoadError):
    """The file is a checkpoint of another kind than the one expected: an
    official FastFCN checkpoint given to mmseg, or an mmseg checkpoint
    given to the FastFCN converter."""

    summary = 'is a checkpoint of another kind'
