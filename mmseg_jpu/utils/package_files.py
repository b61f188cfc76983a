# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Files shipped in ``mmseg_jpu/.mim`` (links to the checkout's folders in
an editable install, copies in a wheel), found from any working directory."""
from pathlib import Path

MIM_ROOT = Path(__file__).resolve().parents[1] / '.mim'
#: a real photograph (public domain, see demo/README.md)
DEMO_IMAGE = MIM_ROOT / 'demo' / 'demo.jpg'


def config_file(name: str) -> Path:
    """Path of a config shipped with the package, ``name`` relative to
    ``configs/``."""
    return MIM_ROOT / 'configs' / name
