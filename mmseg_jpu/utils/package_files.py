# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Files shipped inside the package, where OpenMMLab packages ship them.

``mmseg_jpu/.mim`` holds the configs, ``model-index.yml``, the tiny
sample datasets that the quickstart configs read and the demo photograph:
links to the source tree's ``configs/``, ``model-index.yml``, ``data/tiny``
and ``demo/`` in a checkout (and an editable install), copies in an
installed wheel (``setup.py`` copies them). The tools find configs here, so
they run from any working directory with either kind of install.
"""
from pathlib import Path

MIM_ROOT = Path(__file__).resolve().parents[1] / '.mim'
CONFIG_ROOT = MIM_ROOT / 'configs'
#: a real photograph (public domain, see demo/README.md)
DEMO_IMAGE = MIM_ROOT / 'demo' / 'demo.jpg'


def config_file(name: str) -> Path:
    """Path of a config shipped with the package.

    Args:
        name (str): Path below ``configs/``, e.g.
            ``'quickstart/fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-64x64.py'``.

    Raises:
        FileNotFoundError: If the package ships no such config.
    """
    path = CONFIG_ROOT / name
    if not path.is_file():
        raise FileNotFoundError(
            f'mmseg_jpu ships no config {name} (looked in {CONFIG_ROOT})')
    return path
