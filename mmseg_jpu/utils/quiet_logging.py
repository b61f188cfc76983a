# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.logging import MMLogger


def quiet_logging() -> None:
    """Make mmengine's current logger show errors only, so that a tool's
    own output is all the user sees."""
    MMLogger.get_instance('mmseg_jpu_tool', log_level='ERROR')
