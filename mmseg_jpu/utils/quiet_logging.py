# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Keep mmengine's INFO messages out of a tool's output."""
from mmengine.logging import MMLogger


def quiet_logging() -> None:
    """Make mmengine's current logger one that shows errors only, so that
    building models (weight initialisation, optimizer settings) prints
    nothing; the tool's own output is then all the user sees."""
    MMLogger.get_instance('mmseg_jpu_tool', log_level='ERROR')
