# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""argparse ``type=`` checks that refuse a bad value in one line, e.g.
``parser.add_argument('--runs', type=positive_int)``."""
import argparse
import tempfile
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import torch

T = TypeVar('T')
Error = argparse.ArgumentTypeError


def parse_as(parser: argparse.ArgumentParser, option: str,
             check: Callable[[str], T], value: str) -> T:
    """``check(value)`` after parsing, refused as a ``type=`` check is."""
    try:
        return check(value)
    except Error as error:
        parser.error(f'argument {option}: {error}')


def _number(kind: type, accept: Callable, refusal: str) -> Callable:
    def check(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise Error(f'{text!r} is not ' +
                        ('an integer' if kind is int else 'a number'))
        if not accept(value):
            raise Error(f'{value} {refusal}')
        return value

    return check


positive_int = _number(int, lambda value: value >= 1, 'is below 1')
non_negative_int = _number(int, lambda value: value >= 0, 'is below 0')
positive_float = _number(float, lambda value: value > 0, 'is not above 0')
fraction = _number(float, lambda value: 0 <= value <= 1,
                   'is not between 0 and 1')


def device(text: str) -> str:
    """A torch device that exists on this machine (``cpu``, ``cuda:1``)."""
    try:
        parsed = torch.device(text)
    except RuntimeError:
        raise Error(f'{text!r} is not a device: use cpu, cuda or cuda:N')
    kind = parsed.type
    if kind == 'cpu':
        return text
    backend = getattr(torch, kind, None)
    if not getattr(backend, 'is_available', lambda: False)():
        built = (f' (torch {torch.__version__} is built without CUDA)'
                 if kind == 'cuda' and torch.version.cuda is None else '')
        raise Error(f'{text}: no {kind.upper()} device is available on this '
                    f'machine{built}: use --device cpu')
    count = backend.device_count()
    if (parsed.index or 0) >= count:
        raise Error(f'{text}: this machine has {count} {kind} device(s), '
                    f'{kind}:0 to {kind}:{count - 1}')
    return text


def existing_file(text: str) -> Path:
    """A path to a file that exists."""
    path = Path(text).expanduser()
    if not path.is_file():
        raise Error(f'{text}: no such file')
    return path


def output_file(suffixes: Sequence[str] = ('.png', )) -> Callable[[str], Path]:
    """A ``type=`` check for a file to write, with one of ``suffixes``, in
    a folder this process can write into."""

    def check(text: str) -> Path:
        path = Path(text).expanduser()
        suffix = path.suffix.lower()
        if suffix not in suffixes:
            problem = (f'{suffix} is not written'
                       if suffix else 'no file extension')
            if suffix in ('.jpg', '.jpeg', '.jp2', '.webp'):
                problem = (f'{suffix} compresses lossily and would change the '
                           'colours and label values')
            raise Error(f'{text}: {problem}: give a {" or ".join(suffixes)} '
                        f'file, e.g. {path.with_suffix(suffixes[0])}')
        _check_writable(path.parent)
        return path

    return check


def output_folder(text: str) -> Path:
    """A folder to write into, or to create in a writable folder."""
    path = Path(text).expanduser()
    _check_writable(path)
    return path


def _check_writable(folder: Path) -> None:
    """Try to create a file in ``folder`` or the nearest existing parent."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise Error(
            f'cannot write into {folder}: {existing} is a file, not a folder')
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise Error(f'cannot write into {folder}: {existing} is not '
                    f'writable ({error.strerror})')
