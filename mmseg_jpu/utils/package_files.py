# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Files shipped in ``mmseg_jpu/.mim``, where OpenMMLab packages ship them:
the configs, ``model-index.yml``, the tiny sample datasets and the demo
photograph (links to the checkout's folders in an editable install, copies
in a wheel), so that the tools run from any working directory."""
from pathlib import Path

MIM_ROOT = Path(__file__).resolve().parents[1] / '.mim'
#: a real photograph (public domain, see demo/README.md)
DEMO_IMAGE = MIM_ROOT / 'demo' / 'demo.jpg'


def config_file(name: str) -> Path:
    """Path of a config shipped with the package, ``name`` relative to
    ``configs/``; raises ``FileNotFoundError`` if there is none."""
    path = MIM_ROOT / 'configs' / name
    if not path.is_file():
        raise FileNotFoundError(
            f'mmseg_jpu ships no config {name} (looked in {path.parent})')
    return path
