# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Argument checks for the command-line tools: argparse ``type=``
functions that refuse a bad value with a one-line error (argparse prints
``tool: error: argument --x: <message>`` and exits with status 2).

Use them as ``parser.add_argument('--runs', type=positive_int)``; for a
check that depends on other arguments, call one after parsing with
:func:`parse_as`.
"""
import argparse
import tempfile
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import torch

T = TypeVar('T')
#: suffixes of formats that compress lossily and so change label values.
LOSSY_SUFFIXES = ('.jpg', '.jpeg', '.jpe', '.jp2', '.webp', '.heic', '.avif')


def parse_as(parser: argparse.ArgumentParser, option: str,
             check: Callable[[str], T], value: str) -> T:
    """``check(value)``, or exit through ``parser.error`` naming
    ``option``, as argparse does for a ``type=`` check."""
    try:
        return check(value)
    except argparse.ArgumentTypeError as error:
        parser.error(f'argument {option}: {error}')


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer')
    if value < minimum:
        raise argparse.ArgumentTypeError(f'{value} is below {minimum}')
    return value


def positive_int(text: str) -> int:
    """An int >= 1."""
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """An int >= 0."""
    return _int_at_least(text, 0)


def positive_float(text: str) -> float:
    """A float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number')
    if not value > 0:
        raise argparse.ArgumentTypeError(f'{value} is not above 0')
    return value


def fraction(text: str) -> float:
    """A float from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number')
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f'{value} is not between 0 and 1')
    return value


def device(text: str) -> str:
    """A torch device that exists on this machine (``cpu``, ``cuda``,
    ``cuda:1``, ``mps``, ...)."""
    try:
        parsed = torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a device: use cpu, cuda or cuda:N')
    if parsed.type == 'cpu':
        return text
    backend = getattr(torch, parsed.type, None)
    if not getattr(backend, 'is_available', lambda: False)():
        built = (f' (torch {torch.__version__} is built without CUDA)'
                 if parsed.type == 'cuda' and torch.version.cuda is None else
                 '')
        raise argparse.ArgumentTypeError(
            f'{text}: no {parsed.type.upper()} device is available on this '
            f'machine{built}: use --device cpu')
    count = getattr(backend, 'device_count', lambda: None)()
    if None not in (parsed.index, count) and parsed.index >= count:
        raise argparse.ArgumentTypeError(
            f'{text}: this machine has {count} {parsed.type} device(s), '
            f'{parsed.type}:0 to {parsed.type}:{count - 1}')
    return text


def existing_file(text: str) -> Path:
    """A path to a file that exists."""
    path = Path(text).expanduser()
    if not path.is_file():
        raise argparse.ArgumentTypeError(
            f'{text}: ' + ('is a folder, not a file'
                           if path.is_dir() else 'no such file'))
    return path


def output_file(suffixes: Sequence[str] = ('.png', )) -> Callable[[str], Path]:
    """A ``type=`` check for a file to write: its suffix is one of
    ``suffixes`` and its folder exists or can be made, and is writable."""

    def check(text: str) -> Path:
        path = Path(text).expanduser()
        suffix = path.suffix.lower()
        wanted = ' or '.join(suffixes)
        if path.is_dir():
            raise argparse.ArgumentTypeError(
                f'{text} is a folder: give a {wanted} file')
        if suffix in LOSSY_SUFFIXES and suffix not in suffixes:
            raise argparse.ArgumentTypeError(
                f'{text}: {suffix} compresses lossily and would change the '
                f'colours and label values: give a {wanted} file')
        if suffix not in suffixes:
            raise argparse.ArgumentTypeError(
                f'{text}: ' + (f'{suffix} is not written'
                               if suffix else 'no file extension') +
                f': give a {wanted} file, e.g. '
                f'{path.with_suffix(suffixes[0])}')
        _check_writable_folder(path.parent)
        return path

    return check


def output_folder(text: str) -> Path:
    """A folder to write into: it exists or can be made, and is
    writable."""
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(
            f'{text} is a file: give a folder to write into')
    _check_writable_folder(path)
    return path


def _check_writable_folder(folder: Path) -> None:
    """Refuse ``folder`` unless it, or the folder it would be made in, is a
    folder this process can create files in (tried, not guessed from the
    permission bits)."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(
            f'cannot write into {folder}: {existing} is a file, not a folder')
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise argparse.ArgumentTypeError(
            f'cannot write into {folder}: {existing} is not writable '
            f'({reason})')

