# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Say why a checkpoint file cannot be loaded, from its bytes.

torch's messages for a file it cannot load change between versions and
often name no cause ("Unsupported operand 61" for random bytes), so the
cause is read from the file: ``zipfile`` checks ``torch.save``'s archive
(its end, its CRC-32 checksums, its ``data.pkl``); torch's legacy format
(before torch 1.6) is five pickles, then the tensor bytes; anything else
is a plain pickle or not a checkpoint. torch's public
``get_unsafe_globals_in_checkpoint`` names the globals a pickle needs that
weights-only loading refuses; ``pickletools`` finds where pickles end. No
pickle is run.
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
#: pickle protocols ``torch.load(weights_only=True)`` reads.
WEIGHTS_ONLY_PROTOCOLS = (2, 3)
RECOPY = ('Copy the file again from where it came from, or use another '
          'checkpoint.')


def file_problem(path: Path) -> Optional[CheckpointLoadError]:
    """What is wrong with the checkpoint file at ``path``, read from its
    bytes without unpickling; None if its structure is sound.

    Call it while the same safe globals are allowed as for the load.
    """
    with open(path, 'rb') as file:
        start = file.read(len(ZIP_MAGIC))
        if not start:
            return TruncatedCheckpointError(
                f'{path} is empty (0 bytes): a save that was killed or ran '
                'out of disk space, or a copy that failed, leaves such a '
                f'file. {RECOPY}')
        if start == ZIP_MAGIC:
            return _zip_problem(path)
        file.seek(0)
        return _pickle_problem(path, file)


def _zip_problem(path: Path) -> Optional[CheckpointLoadError]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError):
        return TruncatedCheckpointError(
            f'{path} is truncated: it starts as the zip archive torch.save '
            'writes, but its end (the zip directory) is missing after '
            f'{path.stat().st_size} bytes: it was cut short while being '
            f'written or copied. {RECOPY}')
    with archive:
        names = archive.namelist()
        data_pkl = [n for n in names if n.endswith('/data.pkl')]
        damage = zip_damage(path)
        if damage or data_pkl:
            return damage or _unsafe_globals(path, archive.read(data_pkl[0]))
    if any(name.endswith('/constants.pkl') for name in names):
        return NotACheckpointError(
            f'{path} is not a checkpoint but a TorchScript model '
            '(torch.jit.save): load it with torch.jit.load, or use the '
            'checkpoint (.pth) it was exported from.')
    return NotACheckpointError(
        f'{path} is not a checkpoint: it is a zip archive, but not one '
        f'torch.save wrote (it has no data.pkl; it holds: '
        f'{", ".join(names[:5]) or "nothing"}). Unpack it, or give the path '
        'of the checkpoint (.pth) itself.')


def zip_damage(path: Path) -> Optional[CorruptCheckpointError]:
    """An error if a member of the zip checkpoint at ``path`` fails its
    CRC-32 check (torch does not check it and loads changed weights without
    a word); None for a sound zip or another format."""
    with open(path, 'rb') as file:
        if file.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            return None
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        return CorruptCheckpointError(
            f'{path} is corrupt: its zip structure is damaged ({error}). '
            f'{RECOPY}')
    if damaged is None:
        return None
    return CorruptCheckpointError(
        f'{path} is corrupt: its member {damaged} does not match the CRC-32 '
        'checksum written with it, so bytes changed after the file was saved '
        f'(a faulty disk, copy or download). {RECOPY}')


def _pickle_problem(path: Path,
                    file: BinaryIO) -> Optional[CheckpointLoadError]:
    """A file in torch's legacy format, a plain pickle, or other bytes."""
    size = path.stat().st_size
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
    if not any(magic == pickle.dumps(torch.serialization.MAGIC_NUMBER, p)
               for p in range(6)):
        return NotACheckpointError(
            f'{path} is not a checkpoint: it is a plain pickle written by '
            'pickle.dump, not by torch.save, so torch.load cannot read it. '
            'Unpickling it may run any code it holds: if you trust it, '
            "re-save it once: torch.save(pickle.load(open(path, 'rb')), "
            'new_path).')
    try:  # protocol version, system info, the object, the storage keys
        obj = [_next_pickle(file) for _ in range(4)][2]
    except ValueError:
        if file.tell() < size:
            return CorruptCheckpointError(
                f"{path} is corrupt: it starts as torch's legacy format, but "
                f'its pickles are not valid. {RECOPY}')
        return TruncatedCheckpointError(
            f'{path} is truncated: its pickles end after {size} bytes, before '
            'their last STOP opcode: it was cut short while being written or '
            f'copied. {RECOPY}')
    return _unsafe_globals(path, obj)


def _next_pickle(file: BinaryIO) -> bytes:
    """The bytes of the pickle at ``file``'s position, which it leaves just
    after it.

    Raises:
        ValueError: If the bytes are not a complete pickle.
    """
    start = file.tell()
    for _ in pickletools.genops(file):
        pass
    end = file.tell()
    file.seek(start)
    return file.read(end - start)


def _unsafe_globals(path: Path,
                    pickle_bytes: bytes) -> Optional[CheckpointLoadError]:
    """Why torch.save's pickle ``pickle_bytes`` cannot be loaded
    weights-only: globals that weights-only loading refuses (named), or
    opcodes it cannot read; None if neither."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, 'w') as writer:
        writer.writestr('archive/data.pkl', pickle_bytes)
        writer.writestr('archive/version', '3\n')
    archive.seek(0)
    try:
        refused = sorted(
            torch.serialization.get_unsafe_globals_in_checkpoint(archive))
        checked = True
    except pickle.UnpicklingError:  # opcodes torch cannot read
        refused, checked = [], False
    if refused:
        return UntrustedCheckpointError(
            f'{path}: refused: unpickling it would call '
            f'{", ".join(refused)}, which weights-only loading does not '
            f'allow (it accepts {ALLOWED_TYPES}). Only load files you trust. '
            'If you trust this one, re-save its weights once: '
            "torch.save(torch.load(path, weights_only=False)['state_dict'], "
            'new_path).')
    protocol = pickle_bytes[1] if pickle_bytes[:1] == b'\x80' else '0 or 1'
    if protocol in WEIGHTS_ONLY_PROTOCOLS:
        return None if checked else UntrustedCheckpointError(
            f'{path}: refused: its pickle names globals by extension codes '
            '(copyreg), which weights-only loading cannot read, so what '
            'unpickling it would call cannot be checked without running it: '
            'do not load it.')
    advice = ('The file needs only globals that weights-only loading allows, '
              'so re-save it' if checked else 'What unpickling it would call '
              'cannot be checked without running it, so only if you trust '
              'the file, re-save it')
    return PickleProtocolError(
        f'{path} was pickled with protocol {protocol} (torch.save(..., '
        f'pickle_protocol={protocol})), which torch.load(weights_only=True) '
        "cannot read: it reads protocol 2, torch.save's default, and 3. "
        f'{advice} once with the default protocol: '
        'torch.save(torch.load(path, weights_only=False), new_path).')
