# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Read a config as every tool here reads one: a file, or ``mmseg::path`` /
``mmseg_jpu::path`` in an installed package's configs (mmengine's notation,
which its ``Config.fromfile`` accepts in ``_base_`` only), with
``--cfg-options`` merged in."""
from pathlib import Path
from typing import Optional

from mmengine.config import Config

#: packages whose configs ``package::path`` may name.
SCOPES = ('mmseg', 'mmseg_jpu')


def scope_config_root(scope: str) -> Path:
    """The folder of the configs that ``scope::`` names
    (``<package>/.mim/configs``)."""
    if scope not in SCOPES:
        raise FileNotFoundError(
            f'{scope}:: is not a package with configs: use a file, or one of '
            + ', '.join(f'{name}::path' for name in SCOPES))
    module = __import__(scope)
    return Path(module.__file__).resolve().parent / '.mim' / 'configs'


def config_path(source: str) -> Path:
    """The file that ``source`` (a path or ``package::path``) names; raises
    ``FileNotFoundError`` if there is none."""
    scope, separator, relative = str(source).rpartition('::')
    path = (scope_config_root(scope) / relative if separator else
            Path(relative).expanduser())
    if not path.is_file():
        raise FileNotFoundError(
            f'config not found: {source}' +
            (f' (looked in {path.parent})' if separator else ''))
    return path


def load_config(source: str,
                cfg_options: Optional[dict] = None,
                import_custom_modules: bool = True) -> Config:
    """The config that ``source`` names, with ``cfg_options`` (the parsed
    ``--cfg-options``) merged; raises ``FileNotFoundError`` if there is
    none."""
    cfg = Config.fromfile(
        str(config_path(source)), import_custom_modules=import_custom_modules)
    cfg.merge_from_dict(cfg_options or {})
    return cfg
