# Copyright (c) mmseg_jpu contributors. All rights reserved.
class JpuifyError(ValueError):
    """A config or checkpoint cannot be converted; the message says why and
    what to do."""
