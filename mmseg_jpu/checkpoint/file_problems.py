# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Say why a checkpoint file cannot be loaded, from its bytes, without
unpickling it: ``zipfile`` checks the zip archive of ``torch.save``,
``pickletools`` finds the pickles of torch's legacy format (before torch
1.6) and torch's public ``get_unsafe_globals_in_checkpoint`` names the
globals a pickle needs that weights-only loading refuses."""
import io
import pickle
import pickletools
import zipfile
from pathlib import Path
from typing import BinaryIO, Optional

import torch

from .errors import (CheckpointLoadError, CorruptCheckpointError,
                     NotACheckpointError, TruncatedCheckpointError,
                     UntrustedCheckpointError)

RECOPY = ('Copy the file again from where it came from, or use another '
          'checkpoint.')
LEGACY_MAGIC = {
    pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1)
}


def file_problem(path: Path) -> Optional[CheckpointLoadError]:
    """What is wrong with the checkpoint file at ``path``; None if it looks
    sound. Call it under the safe globals of the load."""
    size = path.stat().st_size
    with open(path, 'rb') as file:
        if size and file.read(4) != b'PK\x03\x04':
            file.seek(0)
            return _legacy_problem(path, file)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError):
        return TruncatedCheckpointError(
            f'{path} is truncated: it ends after {size} bytes, without the '
            'zip directory that ends the files torch.save writes: it was cut '
            f'short while being written or copied. {RECOPY}')
    with archive:
        names = {n.rsplit('/', 1)[-1]: n for n in archive.namelist()}
        if 'data.pkl' not in names or 'constants.pkl' in names:
            return not_a_checkpoint(path)  # another zip, or TorchScript
        try:
            damaged = archive.testzip()
            data = archive.read(names['data.pkl'])
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            damaged = str(error)
    if damaged:
        return CorruptCheckpointError(
            f'{path} is corrupt: {damaged} fails the checks of its zip '
            'archive, so bytes changed after the file was saved (a faulty '
            f'disk, copy or download). {RECOPY}')
    return _pickle_problem(path, data)


def _legacy_problem(path: Path,
                    file: BinaryIO) -> Optional[CheckpointLoadError]:
    """A file in torch's legacy format (its magic number, protocol, system
    info, object and storage keys pickles), or other bytes."""
    pickles = []
    try:
        while len(pickles) < 5:
            pickles.append(_next_pickle(file))
    except ValueError:
        pass
    if not pickles or pickles[0] not in LEGACY_MAGIC:
        return not_a_checkpoint(path)
    if len(pickles) < 5:
        return CorruptCheckpointError(
            f"{path} is corrupt: it starts as torch's legacy format, but its "
            f'pickles are cut short or invalid. {RECOPY}')
    return _pickle_problem(path, pickles[3])


def _next_pickle(file: BinaryIO) -> bytes:
    """The pickle at ``file``'s position; ValueError if it is incomplete."""
    start = file.tell()
    for _ in pickletools.genops(file):
        pass
    end = file.tell()
    file.seek(start)
    return file.read(end - start)


def _pickle_problem(path: Path, data: bytes) -> Optional[CheckpointLoadError]:
    """Why the object pickle ``data`` cannot be loaded weights-only."""
    archive = io.BytesIO()  # what get_unsafe_globals_in_checkpoint reads
    with zipfile.ZipFile(archive, 'w') as writer:
        writer.writestr('archive/data.pkl', data)
        writer.writestr('archive/version', '3\n')
    try:
        refused = torch.serialization.get_unsafe_globals_in_checkpoint(
            io.BytesIO(archive.getvalue()))
    except pickle.UnpicklingError:  # opcodes torch cannot read
        return not_a_checkpoint(path)
    if refused:
        return refusal(path, ', '.join(sorted(refused)))
    if data[:1] == pickle.PROTO and data[1] in (2, 3):
        return None
    return not_a_checkpoint(path)


def refusal(path: Path, calls: str) -> UntrustedCheckpointError:
    """The error for a pickle that would call ``calls``."""
    return UntrustedCheckpointError(
        f'{path}: refused: unpickling it would call {calls}, which '
        'weights-only loading does not allow (it accepts tensors, numbers, '
        "strings, plain containers, numpy arrays and mmengine's "
        'HistoryBuffer). Only load files you trust. If you trust this one, '
        're-save its weights once: torch.save(torch.load(path, '
        "weights_only=False)['state_dict'], new_path).")


def not_a_checkpoint(path: Path) -> NotACheckpointError:
    """The error for bytes that weights-only loading cannot read."""
    return NotACheckpointError(
        f'{path} is not a checkpoint that weights-only loading can read: '
        'not a file that torch.save wrote with pickle protocol 2 (its '
        'default) or 3, whose pickle can be checked without running it. '
        'Check the path (a failed download leaves an error page). Only if '
        'you trust the file, load it with what saved it (torch.jit.load, '
        'pickle.load, torch.load(path, weights_only=False)) and torch.save '
        'its weights again.')
