# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Say why a checkpoint file cannot be loaded, from its bytes, without
unpickling it.

``zipfile`` checks the zip archive of ``torch.save``; ``pickletools`` finds
the pickles of torch's legacy format (before torch 1.6): the magic number,
protocol version, system info, object and storage keys, then the tensors;
torch's public ``get_unsafe_globals_in_checkpoint`` names the globals a
pickle needs that weights-only loading refuses.
"""
import io
import pickle
import pickletools
import zipfile
from pathlib import Path
from typing import BinaryIO, Optional

import torch

from .errors import (CheckpointLoadError, CorruptCheckpointError,
                     NotACheckpointError, PickleProtocolError,
                     TruncatedCheckpointError, UntrustedCheckpointError)

ZIP_MAGIC = b'PK\x03\x04'
ALLOWED_TYPES = ('tensors, numbers, strings, plain containers, numpy arrays '
                 "and mmengine's HistoryBuffer")
RECOPY = ('Copy the file again from where it came from, or use another '
          'checkpoint.')
CUT_SHORT = f'it was cut short while being written or copied. {RECOPY}'


def file_problem(path: Path) -> Optional[CheckpointLoadError]:
    """What is wrong with the checkpoint file at ``path``; None if its
    structure is sound. Call it under the safe globals of the load."""
    size = path.stat().st_size
    if not size:
        return TruncatedCheckpointError(
            f'{path} is empty (0 bytes): a save that was killed or ran out '
            f'of disk space, or a copy that failed, leaves such a file. '
            f'{RECOPY}')
    with open(path, 'rb') as file:
        if file.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            file.seek(0)
            return _legacy_problem(path, file, size)
    damage = zip_damage(path)
    if damage:
        return damage
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        data_pkl = [name for name in names if name.endswith('/data.pkl')]
        if data_pkl:
            return _pickle_problem(path, archive.read(data_pkl[0]))
    return NotACheckpointError(
        f'{path} is not a checkpoint: it is a zip archive without the '
        f'data.pkl that torch.save writes (it holds: {", ".join(names[:5])}'
        '). A TorchScript model (torch.jit.save) loads with torch.jit.load; '
        'otherwise give the path of the checkpoint (.pth) itself.')


def zip_damage(path: Path) -> Optional[CheckpointLoadError]:
    """Whether the zip checkpoint at ``path`` lacks its end (truncated) or
    a member fails its CRC-32 check (corrupt; torch does not check it);
    None for a sound zip or another format."""
    with open(path, 'rb') as file:
        if file.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            return None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError):
        return TruncatedCheckpointError(
            f'{path} is truncated: it starts as the zip archive torch.save '
            'writes, but its end (the zip directory) is missing after '
            f'{path.stat().st_size} bytes: {CUT_SHORT}')
    try:
        with archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        damaged = f'its zip structure is damaged ({error})'
    else:
        damaged = damaged and (f'its member {damaged} does not match the '
                               'CRC-32 checksum written with it')
    return damaged and CorruptCheckpointError(
        f'{path} is corrupt: {damaged}, so bytes changed after the file was '
        f'saved (a faulty disk, copy or download). {RECOPY}')


def _legacy_problem(path: Path, file: BinaryIO,
                    size: int) -> Optional[CheckpointLoadError]:
    """A file in torch's legacy format, a plain pickle, or other bytes."""
    try:
        magic = _next_pickle(file)
    except ValueError:
        file.seek(0)
        return NotACheckpointError(
            f'{path} is not a checkpoint: its {size} bytes are neither the '
            'zip archive torch.save writes nor a complete pickle (they start '
            f'with {file.read(16)!r}). Check the path: give the checkpoint '
            '(.pth) file itself; a download that ended on an error page '
            'looks like this too.')
    if all(magic != pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol)
           for protocol in range(pickle.HIGHEST_PROTOCOL + 1)):
        return NotACheckpointError(
            f'{path} is not a checkpoint: it is a plain pickle written by '
            'pickle.dump, not by torch.save, so torch.load cannot read it. '
            'Unpickling it may run any code it holds: if you trust it, '
            "re-save it once: torch.save(pickle.load(open(path, 'rb')), "
            'new_path).')
    try:
        pickles = [_next_pickle(file) for _ in range(4)]
    except ValueError:
        if file.tell() < size:
            return CorruptCheckpointError(
                f"{path} is corrupt: it starts as torch's legacy format, but "
                f'its pickles are not valid. {RECOPY}')
        return TruncatedCheckpointError(
            f'{path} is truncated: its pickles end after {size} bytes, before '
            f'their last STOP opcode: {CUT_SHORT}')
    return _pickle_problem(path, pickles[2])


def _next_pickle(file: BinaryIO) -> bytes:
    """The pickle at ``file``'s position, which it leaves just after it.

    Raises:
        ValueError: If the bytes are not a complete pickle.
    """
    start = file.tell()
    for _ in pickletools.genops(file):
        pass
    end = file.tell()
    file.seek(start)
    return file.read(end - start)


def _pickle_problem(path: Path, data: bytes) -> Optional[CheckpointLoadError]:
    """Why the object pickle ``data`` of a torch.save file cannot be loaded
    weights-only: globals it refuses, or opcodes it cannot read."""
    archive = io.BytesIO()  # what get_unsafe_globals_in_checkpoint reads
    with zipfile.ZipFile(archive, 'w') as writer:
        writer.writestr('archive/data.pkl', data)
        writer.writestr('archive/version', '3\n')
    try:
        refused = torch.serialization.get_unsafe_globals_in_checkpoint(
            io.BytesIO(archive.getvalue()))
    except pickle.UnpicklingError:  # opcodes torch cannot read
        refused = None
    if refused:
        return UntrustedCheckpointError(
            f'{path}: refused: unpickling it would call '
            f'{", ".join(sorted(refused))}, which weights-only loading does '
            f'not allow (it accepts {ALLOWED_TYPES}). Only load files you '
            'trust. If you trust this one, re-save its weights once: '
            "torch.save(torch.load(path, weights_only=False)['state_dict'], "
            'new_path).')
    protocol = data[1] if data[:1] == pickle.PROTO else '0 or 1'
    if protocol in (2, 3):  # what torch.load(weights_only=True) reads
        return None if refused is not None else UntrustedCheckpointError(
            f'{path}: refused: its pickle names globals by extension codes '
            '(copyreg), which weights-only loading cannot read, so what '
            'unpickling it would call cannot be checked without running it: '
            'do not load it.')
    advice = ('The file needs only globals that weights-only loading allows, '
              'so re-save it' if refused is not None else 'What unpickling it '
              'would call cannot be checked without running it, so only if '
              'you trust the file, re-save it')
    return PickleProtocolError(
        f'{path} was pickled with protocol {protocol} (torch.save(..., '
        f'pickle_protocol={protocol})), which torch.load(weights_only=True) '
        "cannot read: it reads protocol 2, torch.save's default, and 3. "
        f'{advice} once with the default protocol: '
        'torch.save(torch.load(path, weights_only=False), new_path).')
