# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The command-line convention of the tools in ``tools/`` (see
docs/development.md): config arguments, help style and exit statuses."""
import argparse
import sys
from typing import Callable, Tuple, Type

from mmengine.config import Config, DictAction

from mmseg_jpu.utils.config_loading import load_config


class ToolError(Exception):
    """A failure to report in one line (exit status 1)."""


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction``; a word without ``=`` is a usage error."""

    def __call__(self, parser, namespace, values, option_string=None):
        for word in values:
            if '=' not in word:
                parser.error(
                    f'argument {option_string}: {word!r} is not key=value, '
                    'e.g. model.decode_head.num_classes=21')
        super().__call__(parser, namespace, values, option_string)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Keeps the description's paragraphs and gives each option's default
    unless it is ``None``, ``False`` or empty."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is False or action.default in (None, {}, [], ()):
            return action.help
        return super()._get_help_string(action)


def tool_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser in the tools' help style."""
    return argparse.ArgumentParser(
        description=description, formatter_class=HelpFormatter)


def add_config_arguments(parser: argparse.ArgumentParser,
                         name: str = 'config') -> None:
    """Add the config argument ``name`` and ``--cfg-options``."""
    parser.add_argument(
        name,
        help='config: a file, or mmseg::path / mmseg_jpu::path in the '
        "installed package's configs")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, key=value, e.g. '
        'test_dataloader.dataset.data_root=/data/VOCdevkit/VOC2010')


def load_config_arguments(parser: argparse.ArgumentParser,
                          args: argparse.Namespace) -> Config:
    """The config that ``args`` names, ``--cfg-options`` merged; a missing
    one is a usage error."""
    try:
        return load_config(args.config, args.cfg_options)
    except FileNotFoundError as error:
        parser.error(f'argument config: {error}')


def run(main: Callable[[], None],
        name: str,
        failures: Tuple[Type[BaseException], ...] = ()) -> None:
    """Call ``main``; a :class:`ToolError` or one of ``failures`` ends the
    tool with ``name: message`` and exit status 1."""
    try:
        main()
    except (ToolError, *failures) as error:
        sys.exit(f'{name}: {error}')
