# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Say what a checkpoint file is when it cannot be loaded, from its bytes.

torch's error messages for a file it cannot load change between versions
and often name no cause ("Unsupported operand 61" for random bytes). So the
cause is found by reading the file, never by reading torch's message:

* ``torch.save``'s zip format (magic ``PK\\x03\\x04``): a zip whose end
  (the central directory) is missing is truncated; a member whose CRC-32
  does not match is corrupt; a zip without ``data.pkl`` is not a checkpoint
  (a TorchScript model, or another archive);
* torch's legacy format (``_use_new_zipfile_serialization=False``): five
  pickles (the first is torch's magic number), then the tensor bytes,
  whose length the storages' persistent ids give;
* anything else is a plain pickle (``pickle.dump``) or not a checkpoint.

The pickles are read with :mod:`.pickle_scan` (every protocol, 0 to 5),
which names the globals they import; torch's public
``get_unsafe_globals_in_checkpoint`` says which of them weights-only
loading does not allow.
"""
import io
import warnings
import zipfile
from pathlib import Path
from typing import BinaryIO, Iterable, List, Optional

import torch

from .checkpoint_errors import (CheckpointLoadError, CorruptCheckpointError,
                                NotACheckpointError, PickleProtocolError,
                                TruncatedCheckpointError,
                                UntrustedCheckpointError)
from .pickle_scan import (NotAPickle, PickleEndsEarly, PickleScan,
                          scan_pickle, scan_pickles)

ZIP_MAGIC = b'PK\x03\x04'
#: the pickles torch's legacy format starts with: magic number, protocol
#: version, system info, the object, the storage keys.
LEGACY_PICKLES = 5
#: pickle protocols ``torch.load(weights_only=True)`` reads.
WEIGHTS_ONLY_PROTOCOLS = (2, 3)
ALLOWED_TYPES = ('tensors, numbers, strings, plain containers, numpy arrays '
                 "and mmengine's HistoryBuffer")
RECOPY = ('Copy the file again from where it came from, or use another '
          'checkpoint.')


def unloadable_cause(path: Path,
                     error: Exception) -> CheckpointLoadError:
    """The error that says why ``torch.load(weights_only=True)`` failed
    with ``error`` on ``path``: :func:`file_problem`'s, or one that gives
    torch's error when the bytes show no cause.

    Call it while the same safe globals are allowed as during the load.
    """
    problem = file_problem(path)
    if problem:
        return problem
    first_line = (str(error).strip().splitlines() or [''])[0]
    return CheckpointLoadError(f'cannot load checkpoint {path}: '
                               f'{type(error).__name__}: {first_line}')


def file_problem(path: Path) -> Optional[CheckpointLoadError]:
    """What is wrong with the checkpoint file at ``path``, read from its
    bytes without unpickling; None if its structure is sound (it may still
    fail to load for other reasons, e.g. a ``map_location`` without the
    device)."""
    with open(path, 'rb') as file:
        start = file.read(len(ZIP_MAGIC))
        if not start:
            return TruncatedCheckpointError(
                f'{path} is empty (0 bytes): a save that was killed or ran '
                'out of disk space, or a copy that failed, leaves such a '
                f'file. {RECOPY}')
        file.seek(0)
        if start == ZIP_MAGIC:
            return _zip_cause(path)
        return _pickle_cause(path, file)


def zip_damage(path: Path) -> Optional[CorruptCheckpointError]:
    """A corrupt-file error if a member of the zip checkpoint at ``path``
    fails its CRC-32 check (torch does not check it, and loads changed
    weights without a word); None for a sound zip or another format."""
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


def _zip_cause(path: Path) -> Optional[CheckpointLoadError]:
    size = path.stat().st_size
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError):
        return TruncatedCheckpointError(
            f'{path} is truncated: it starts as the zip archive torch.save '
            f'writes, but its end (the zip directory) is missing after '
            f'{size} bytes: it was cut short while being written or copied. '
            f'{RECOPY}')
    with archive:
        damage = zip_damage(path)
        if damage:
            return damage
        names = archive.namelist()
        data_pkl = [n for n in names if n.count('/') == 1
                    and n.endswith('/data.pkl')]
        if not data_pkl:
            return _not_torch_zip(path, names)
        try:
            scan = scan_pickle(io.BytesIO(archive.read(data_pkl[0])))
        except (NotAPickle, PickleEndsEarly):
            return CorruptCheckpointError(
                f'{path} is corrupt: its {data_pkl[0]} is not a valid pickle '
                f'although its checksum matches. {RECOPY}')
    return _torch_pickle_cause(path, scan)


def _not_torch_zip(path: Path, names: List[str]) -> NotACheckpointError:
    if any(name.endswith('/constants.pkl') for name in names):
        return NotACheckpointError(
            f'{path} is not a checkpoint but a TorchScript model '
            '(torch.jit.save): load it with torch.jit.load, or use the '
            'checkpoint (.pth) it was exported from.')
    listed = _listing(names, limit=5) or 'nothing'
    return NotACheckpointError(
        f'{path} is not a checkpoint: it is a zip archive, but not one '
        f'torch.save wrote (it has no data.pkl; it holds: {listed}). Unpack '
        'it, or give the path of the checkpoint (.pth) itself.')


def _pickle_cause(path: Path,
                  file: BinaryIO) -> Optional[CheckpointLoadError]:
    size = path.stat().st_size
    try:
        first = scan_pickle(file)
    except PickleEndsEarly:
        return _truncated_pickle(path, size)
    except NotAPickle:
        file.seek(0)
        return NotACheckpointError(
            f'{path} is not a checkpoint: its {size} bytes are neither the '
            'zip archive torch.save writes nor a pickle (they start with '
            f'{file.read(16)!r}). Check the path: give the checkpoint (.pth) '
            'file itself; a download that ended on an error page looks like '
            'this too.')
    if first.result != torch.serialization.MAGIC_NUMBER:
        return _plain_pickle_cause(path, first)
    try:
        scans = [first, *scan_pickles(file, LEGACY_PICKLES - 1)]
    except PickleEndsEarly:
        return _truncated_pickle(path, size)
    except NotAPickle:
        return CorruptCheckpointError(
            f'{path} is corrupt: it starts as a checkpoint in torch\'s legacy '
            f'format, but its pickles are not valid. {RECOPY}')
    obj = scans[3]
    return _torch_pickle_cause(path, obj) or _legacy_data_cause(
        path, obj, size - scans[-1].end)


def _truncated_pickle(path: Path, size: int) -> TruncatedCheckpointError:
    return TruncatedCheckpointError(
        f'{path} is truncated: its pickle ends after {size} bytes, before its '
        'STOP opcode: it was cut short while being written or copied. '
        f'{RECOPY}')


def _legacy_data_cause(path: Path, obj: PickleScan,
                       data_bytes: int) -> Optional[CheckpointLoadError]:
    expected = _legacy_data_size(obj)
    if expected is None or data_bytes >= expected:
        return None
    return TruncatedCheckpointError(
        f'{path} is truncated: its pickles are complete, but the tensor data '
        f'after them holds {data_bytes} of its {expected} bytes: it was cut '
        f'short while being written or copied. {RECOPY}')


def _legacy_data_size(obj: PickleScan) -> Optional[int]:
    """The bytes of tensor data the legacy format writes after the pickles
    for the storages of ``obj``: per storage, an 8-byte element count and
    the elements; None if a storage cannot be read from its id."""
    sizes = {}
    for pid in obj.persistent_ids:
        if not (isinstance(pid, tuple) and len(pid) >= 5
                and pid[0] == 'storage'):
            return None
        storage_type, key, numel = pid[1], pid[2], pid[4]
        element_size = _element_size(storage_type)
        if not isinstance(numel, int) or element_size is None:
            return None
        sizes[key] = 8 + numel * element_size
    return sum(sizes.values())


def _element_size(storage_type) -> Optional[int]:
    """Bytes per element of a legacy storage class (``torch.FloatStorage``:
    4) that the pickle names, or None."""
    name = getattr(storage_type, 'name', None) or ''
    module, _, class_name = name.rpartition('.')
    with warnings.catch_warnings():  # the legacy storage classes warn
        warnings.simplefilter('ignore', UserWarning)
        dtype = getattr(getattr(torch, class_name, None), 'dtype', None)
    if module != 'torch' or not isinstance(dtype, torch.dtype):
        return None
    return torch.empty((), dtype=dtype).element_size()


def _plain_pickle_cause(path: Path,
                        scan: PickleScan) -> CheckpointLoadError:
    return _untrusted_cause(path, scan, 'pickle.dump') or NotACheckpointError(
        f'{path} is not a checkpoint: it is a plain pickle (protocol '
        f'{scan.protocol}) written by pickle.dump, not by torch.save, so '
        'torch.load cannot read it. It needs only globals that weights-only '
        f'loading allows ({_listing(scan.globals) or "none"}); if you trust '
        "it, re-save it once: torch.save(pickle.load(open(path, 'rb')), "
        'new_path).')


def _torch_pickle_cause(path: Path,
                        scan: PickleScan) -> Optional[CheckpointLoadError]:
    """Why the pickle of a torch.save file cannot be loaded weights-only:
    globals it may not import, or else its protocol; None if neither."""
    untrusted = _untrusted_cause(path, scan, 'torch.save')
    if untrusted or scan.protocol in WEIGHTS_ONLY_PROTOCOLS:
        return untrusted
    return PickleProtocolError(
        f'{path} was pickled with protocol {scan.protocol} '
        f'(torch.save(..., pickle_protocol={scan.protocol})), which '
        'torch.load(weights_only=True) cannot read: it reads protocol 2, '
        "torch.save's default, and 3. The file needs only globals that "
        f'weights-only loading allows ({_listing(scan.globals)}), so re-save '
        'it once with the default protocol: '
        'torch.save(torch.load(path, weights_only=False), new_path).')


def _untrusted_cause(path: Path, scan: PickleScan,
                     writer: str) -> Optional[UntrustedCheckpointError]:
    """An error naming the globals of ``scan`` that weights-only loading
    does not allow, or None if there are none."""
    unnamed = None in scan.globals
    refused = unsafe_globals(g for g in scan.globals if g is not None)
    if not (refused or unnamed):
        return None
    needs = refused + (['a global whose name is computed while unpickling']
                       if unnamed else [])
    message = (f'{path}: refused: unpickling it would call '
               f'{_listing(needs)}, which weights-only loading does not '
               f'allow (it accepts {ALLOWED_TYPES}). Only load files you '
               'trust.')
    if unnamed:
        return UntrustedCheckpointError(
            message + ' The name of a global cannot be read without running '
            'the pickle, so this file cannot be checked: do not load it.')
    load = ('torch.load(path, weights_only=False)' if writer == 'torch.save'
            else "pickle.load(open(path, 'rb'))")
    return UntrustedCheckpointError(
        f'{message} If you trust this one, re-save its weights once: '
        f"torch.save({load}['state_dict'], new_path).")


def unsafe_globals(names: Iterable[str]) -> List[str]:
    """The globals among ``names`` (``module.qualname``) that weights-only
    loading does not allow now (torch's allowlist and the safe globals
    added), in their order.

    Asks torch's public ``get_unsafe_globals_in_checkpoint`` about a
    minimal archive whose pickle imports exactly these globals.
    """
    names = list(dict.fromkeys(names))
    if not names:
        return []
    imports = b''.join(b'c%s\n%s\n' % tuple(
        part.encode() for part in name.rsplit('.', 1)) for name in names
                       if '.' in name)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, 'w') as writer:
        writer.writestr('archive/data.pkl', b'\x80\x02' + imports + b'N.')
        writer.writestr('archive/version', '3\n')
    archive.seek(0)
    refused = set(
        torch.serialization.get_unsafe_globals_in_checkpoint(archive))
    return [name for name in names if name in refused or '.' not in name]


def _listing(names: Iterable[Optional[str]], limit: int = 8) -> str:
    names = [name for name in names if name is not None]
    more = f' and {len(names) - limit} more' if len(names) > limit else ''
    return ', '.join(names[:limit]) + more
