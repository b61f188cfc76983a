# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Read a config as every tool here does: a file, or ``mmseg::path`` /
``mmseg_jpu::path`` in an installed package's configs (mmengine takes this
notation in ``_base_`` only), with ``--cfg-options`` merged in."""
import importlib
from pathlib import Path
from typing import Optional

from mmengine.config import Config


def scope_config_root(scope: str) -> Path:
    """The configs folder of package ``scope`` (``<package>/.mim/configs``)."""
    package = importlib.import_module(scope)
    return Path(package.__file__).resolve().parent / '.mim' / 'configs'


def config_path(source: str) -> Path:
    """The file that ``source`` (a path or ``package::path``) names; raises
    ``FileNotFoundError`` if there is none."""
    scope, separator, relative = str(source).rpartition('::')
    path = (scope_config_root(scope) / relative
            if scope in ('mmseg', 'mmseg_jpu') else Path(source).expanduser())
    if not path.is_file():
        raise FileNotFoundError(
            f'config not found: {source}' +
            (' (a config is a file, mmseg::path or mmseg_jpu::path)'
             if separator else ''))
    return path


def load_config(source: str,
                cfg_options: Optional[dict] = None,
                import_custom_modules: bool = True) -> Config:
    """The config that ``source`` names, with ``cfg_options`` merged; raises
    ``FileNotFoundError`` if there is none."""
    cfg = Config.fromfile(
        str(config_path(source)), import_custom_modules=import_custom_modules)
    cfg.merge_from_dict(cfg_options or {})
    return cfg
