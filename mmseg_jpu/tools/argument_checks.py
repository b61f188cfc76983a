# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""argparse ``type=`` checks that refuse a bad value in one line (argparse
prints ``tool: error: argument --x: <message>`` and exits with status 2),
e.g. ``parser.add_argument('--runs', type=positive_int)``; :func:`parse_as`
applies one after parsing, for checks that depend on other arguments."""
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


def _number(kind: type, accept: Callable, refusal: str) -> Callable:
    """A check for a ``kind`` (int or float) that ``accept`` takes,
    refusing others with ``'<value> <refusal>'``."""

    def check(text: str):
        try:
            value = kind(text)
        except ValueError:
            what = 'an integer' if kind is int else 'a number'
            raise argparse.ArgumentTypeError(f'{text!r} is not {what}')
        if not accept(value):
            raise argparse.ArgumentTypeError(f'{value} {refusal}')
        return value

    return check


positive_int = _number(int, lambda value: value >= 1, 'is below 1')
non_negative_int = _number(int, lambda value: value >= 0, 'is below 0')
positive_float = _number(float, lambda value: value > 0, 'is not above 0')
fraction = _number(float, lambda value: 0 <= value <= 1,
                   'is not between 0 and 1')


def device(text: str) -> str:
    """A torch device that exists on this machine (``cpu``, ``cuda:1``,
    ``mps``...)."""
    try:
        parsed = torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a device: use cpu, cuda or cuda:N')
    backend = getattr(torch, parsed.type, None)
    if parsed.type == 'cpu':
        return text
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
    """A ``type=`` check for a file to write, with one of ``suffixes``, in
    a writable folder (see :func:`output_folder`)."""

    def check(text: str) -> Path:
        path = Path(text).expanduser()
        suffix, wanted = path.suffix.lower(), ' or '.join(suffixes)
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
        _check_writable(path.parent)
        return path

    return check


def output_folder(text: str) -> Path:
    """A folder to write into: it, or the folder it would be made in, is a
    folder this process can create files in (tried, not guessed from the
    permission bits)."""
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(
            f'{text} is a file: give a folder to write into')
    _check_writable(path)
    return path


def _check_writable(folder: Path) -> None:
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
        raise argparse.ArgumentTypeError(
            f'cannot write into {folder}: {existing} is not writable '
            f'({error.strerror or error})')
