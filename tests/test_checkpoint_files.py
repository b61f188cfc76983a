# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Checkpoint files from outside: every local checkpoint mmengine and mmseg
load (``load_from``, ``--resume``, ``tools/test.py``, ``init_model``),
``tools/infer.py`` and the official-checkpoint converter read with
``weights_only=True``. A file that cannot be loaded gets one message per
cause, the same through every path, found from the file's bytes: not a
checkpoint weights-only loading can read (other bytes, a plain pickle, a
pickle protocol or opcodes torch cannot check: one message), truncated,
corrupt, a pickle that needs a named global (zip and legacy torch formats),
a checkpoint of the other kind. A pickle that would run code never runs
it."""
import copyreg
import io
import os
import re
import runpy
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, Runner, load_checkpoint

# the switch under test
import mmseg_jpu.enable_weights_only_loading  # noqa: F401

from mmseg.apis import init_model
from mmseg_jpu.tools.fastfcn_converter import load_official_state_dict
from mmseg_jpu.tools.mmseg_tools import mmseg_tool
from mmseg_jpu.checkpoint import (
    CheckpointKindError, CheckpointLoadError, CorruptCheckpointError,
    NotACheckpointError, TruncatedCheckpointError, UntrustedCheckpointError,
    checkpoint_file_problem, load_weights_only)
from .conftest import (REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG, run_python,
                       tiny_run_config)

TINY_IMAGE = (REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010' /
              'JPEGImages' / 'tiny_val_000.jpg')
PROTOCOLS = range(6)
#: pickle protocols torch.load(weights_only=True) reads.
READABLE_PROTOCOLS = (2, 3)
#: pickle protocols whose globals torch.serialization names.
NAMED_PROTOCOLS = (1, 2, 3)


class _RunsShell:
    """Pickles as ``os.system(command)``: loading it would run the
    command."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


def _torch_bytes(obj, protocol=2, zip_format=True) -> bytes:
    buffer = io.BytesIO()
    torch.save(
        obj,
        buffer,
        pickle_protocol=protocol,
        _use_new_zipfile_serialization=zip_format)
    return buffer.getvalue()


def _weights():
    return {'state_dict': OrderedDict(w=torch.arange(256.))}


def _flip_a_tensor_byte(data: bytes) -> bytes:
    """The zip checkpoint with one byte of its tensor data changed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = next(i for i in archive.infolist()
                    if i.filename.endswith('/data/0'))
    name_length, extra_length = struct.unpack(
        '<HH', data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    damaged = bytearray(data)
    damaged[start + 100] ^= 0xFF
    return bytes(damaged)


def _official_fastfcn():
    return {
        'epoch': 80,
        'state_dict': {
            'pretrained.conv1.0.weight': torch.ones(1),
            'jpu.conv5.0.weight': torch.ones(1),
            'head.conv5.0.weight': torch.ones(1),
        }
    }


def _mmseg():
    return {
        'meta': {},
        'state_dict': {
            'backbone.stem.0.weight': torch.ones(1),
            'decode_head.conv_seg.weight': torch.ones(1),
        }
    }


#: cause -> (bytes of the file, error class, start of the message after the
#: path)
CAUSES = {
    'random_bytes': (lambda: np.random.default_rng(0).bytes(4096),
                     NotACheckpointError, ' is not a checkpoint'),
    'html_page': (lambda: b'<!DOCTYPE html><html><body>404</body></html>',
                  NotACheckpointError, ' is not a checkpoint'),
    'torchscript': (lambda: _torchscript_bytes(), NotACheckpointError,
                    ' is not a checkpoint'),
    'empty': (lambda: b'', TruncatedCheckpointError, ' is truncated'),
    'six_bytes': (lambda: _torch_bytes(_weights())[:6],
                  TruncatedCheckpointError, ' is truncated'),
    'half_zip': (lambda: _torch_bytes(_weights())[:1000],
                 TruncatedCheckpointError, ' is truncated'),
    # torch itself names this cause
    'half_legacy': (lambda: _torch_bytes(_weights(), zip_format=False)[:700],
                    CheckpointLoadError,
                    ' cannot be loaded: RuntimeError: unexpected EOF'),
    'legacy_pickle_cut': (lambda: _torch_bytes(_weights(),
                                               zip_format=False)[:100],
                          CorruptCheckpointError, ' is corrupt'),
    'corrupt_zip': (lambda: _flip_a_tensor_byte(_torch_bytes(_weights())),
                    CorruptCheckpointError, ' is corrupt'),
    # torch cannot read protocol 4, so cannot name what it would call
    'code_protocol_4': (lambda: _torch_bytes({'m': _RunsShell('true')}, 4),
                        NotACheckpointError, ' is not a checkpoint'),
    'code_protocol_2': (lambda: _torch_bytes({'m': _RunsShell('true')}, 2),
                        UntrustedCheckpointError,
                        ': refused: unpickling it would call posix.system,'),
    'harmless_protocol_4': (lambda: _torch_bytes(_weights(), 4),
                            NotACheckpointError, ' is not a checkpoint'),
    'official_fastfcn': (lambda: _torch_bytes(_official_fastfcn()),
                         CheckpointKindError,
                         ' is an official FastFCN checkpoint'),
}
#: one cause per error class, for the paths that cost a model or a process
ONE_PER_CLASS = [
    'random_bytes', 'six_bytes', 'corrupt_zip', 'code_protocol_2',
    'official_fastfcn'
]


def _torchscript_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Conv2d(1, 1, 1)), buffer)
    return buffer.getvalue()


def _write(tmp_path, cause):
    path = tmp_path / f'{cause}.pth'
    path.write_bytes(CAUSES[cause][0]())
    return path


def _expected(path, cause) -> str:
    _, error_class, start = CAUSES[cause]
    with pytest.raises(error_class) as error:
        load_weights_only(path)
    assert str(error.value).startswith(f'{path}{start}'), str(error.value)
    return str(error.value)


def _assert_refused(path, calls):
    """Loading ``path`` is refused, naming what unpickling would call."""
    with pytest.raises(
            UntrustedCheckpointError,
            match=re.escape(f'{path}: refused: unpickling it would call '
                            f'{calls}')):
        load_weights_only(path)


# --- each cause: its class, its message and its advice ---------------------


@pytest.mark.parametrize('cause', sorted(CAUSES))
def test_each_cause_has_its_error(tmp_path, cause):
    path = _write(tmp_path, cause)
    message = _expected(path, cause)
    error_class = CAUSES[cause][1]
    damaged = error_class in (TruncatedCheckpointError, CorruptCheckpointError)
    assert ('Copy the file again' in message) == damaged
    # weights_only=False is advised only for files the user trusts
    if 'weights_only=False' in message:
        assert 'you trust' in message
    # the kind is read from the loaded keys, torch's EOF from loading
    assert type(checkpoint_file_problem(path)) is (
        None.__class__ if cause in ('official_fastfcn', 'half_legacy') else
        CAUSES[cause][1])


@pytest.mark.parametrize('zip_format', [True, False], ids=['zip', 'legacy'])
@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_code_never_runs_and_is_named_where_torch_reads_it(
        tmp_path, protocol, zip_format):
    path = tmp_path / 'hostile.pth'
    marker = tmp_path / 'pwned'
    path.write_bytes(
        _torch_bytes({
            'state_dict': {},
            'meta': _RunsShell(f'touch {marker}')
        }, protocol, zip_format))
    if protocol in NAMED_PROTOCOLS:
        _assert_refused(path, 'posix.system, which weights-only loading does '
                        'not allow')
    else:
        with pytest.raises(NotACheckpointError, match='Only if you trust'):
            load_weights_only(path)
    assert not marker.exists(), 'the pickled command ran'


class _Prints:
    """Pickles as ``print(...)``; protocol 2 names it ``__builtin__.print``,
    as Python 2 did."""

    def __reduce__(self):
        return print, ('this must never run', )


@pytest.mark.parametrize('protocol', NAMED_PROTOCOLS)
def test_python2_names_are_read_as_python3_imports_them(tmp_path, protocol):
    path = tmp_path / 'prints.pth'
    path.write_bytes(_torch_bytes({'x': _Prints()}, protocol))
    _assert_refused(path, 'builtins.print,')


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_plain_pickle_is_not_a_checkpoint(tmp_path, protocol):
    import pickle
    path = tmp_path / 'plain.pkl'
    marker = tmp_path / 'pwned'
    path.write_bytes(pickle.dumps({'m': _RunsShell(f'touch {marker}')},
                                  protocol))
    with pytest.raises(
            NotACheckpointError,
            match=re.escape(f'{path} is not a checkpoint') +
            '.*Only if you trust.*pickle.load'):
        load_weights_only(path)
    assert not marker.exists(), 'the pickled command ran'


@pytest.mark.parametrize('zip_format', [True, False], ids=['zip', 'legacy'])
@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_harmless_pickle_of_any_protocol(tmp_path, protocol, zip_format):
    path = tmp_path / 'weights.pth'
    path.write_bytes(_torch_bytes(_weights(), protocol, zip_format))
    if protocol in READABLE_PROTOCOLS:
        loaded = load_weights_only(path)
        assert torch.equal(loaded['state_dict']['w'], torch.arange(256.))
        return
    with pytest.raises(NotACheckpointError) as error:
        load_weights_only(path)
    message = str(error.value)
    assert message.startswith(f'{path} is not a checkpoint')
    assert 'pickle protocol 2' in message
    assert 'refused' not in message


def test_global_pushed_by_extension_code_cannot_be_checked(tmp_path):
    path = tmp_path / 'extension.pth'
    copyreg.add_extension('posix', 'system', 0x7f00)
    try:
        path.write_bytes(_torch_bytes({'m': _RunsShell('true')}))
    finally:
        copyreg.remove_extension('posix', 'system', 0x7f00)
    with pytest.raises(NotACheckpointError) as error:
        load_weights_only(path)
    message = str(error.value)
    assert 'can be checked without running it' in message
    assert 'Only if you trust the file' in message


class _FetchesAttribute:
    """Pickles as ``getattr(OrderedDict, 'fromkeys')``."""

    def __reduce__(self):
        return getattr, (OrderedDict, 'fromkeys')


def test_getattr_beyond_the_allowlist_is_refused_with_the_reason(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _FetchesAttribute()}, path)
    _assert_refused(path,
                    "getattr(<class 'collections.OrderedDict'>, 'fromkeys')")


def test_missing_file_is_named(tmp_path):
    path = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError,
                       match='checkpoint file not found: ' +
                       re.escape(str(path))):
        CheckpointLoader.load_checkpoint(str(path), 'cpu')


def _runner_like_checkpoint():
    """Tensors plus what a Runner checkpoint holds besides them: numpy
    values and message hub buffers."""
    buffer = HistoryBuffer()
    buffer.update(1.5)
    return {
        'meta': dict(iter=4, seed=np.int64(0)),
        'state_dict': {'conv.weight': torch.ones(2, 2)},
        'message_hub': dict(log_scalars={'train/loss': buffer}),
    }


def test_runner_checkpoint_contents_load(tmp_path):
    path = tmp_path / 'complete.pth'
    torch.save(_runner_like_checkpoint(), path)
    checkpoint = CheckpointLoader.load_checkpoint(str(path), 'cpu')
    assert checkpoint['meta']['iter'] == 4
    assert checkpoint['message_hub']['log_scalars']['train/loss'].mean() \
        == 1.5
    assert checkpoint_file_problem(path) is None


# --- the same message through every loading path ---------------------------


@pytest.mark.parametrize('cause', sorted(CAUSES))
def test_mmengine_checkpoint_loader_gives_the_same_message(tmp_path, cause):
    path = _write(tmp_path, cause)
    expected = _expected(path, cause)
    with pytest.raises(CAUSES[cause][1]) as error:
        CheckpointLoader.load_checkpoint(str(path), 'cpu')
    assert str(error.value) == expected
    with pytest.raises(CAUSES[cause][1]) as error:
        load_checkpoint(torch.nn.Conv2d(2, 2, 1), str(path), 'cpu')
    assert str(error.value) == expected


@pytest.fixture(scope='module')
def runner(tmp_path_factory):
    return Runner.from_cfg(
        tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG,
                        tmp_path_factory.mktemp('work')))


@pytest.mark.slow
@pytest.mark.parametrize('cause', ONE_PER_CLASS)
def test_load_from_and_resume_give_the_same_message(runner, tmp_path, cause):
    # what load_or_resume() calls for load_from, and for --resume
    path = _write(tmp_path, cause)
    expected = _expected(path, cause)
    for load in (runner.load_checkpoint, runner.resume):
        with pytest.raises(CAUSES[cause][1]) as error:
            load(str(path))
        assert str(error.value) == expected


@pytest.mark.parametrize('cause', ONE_PER_CLASS)
def test_init_model_gives_the_same_message(tmp_path, cause):
    path = _write(tmp_path, cause)
    expected = _expected(path, cause)
    with pytest.raises(CAUSES[cause][1]) as error:
        init_model(str(TINY_PASCAL_CONTEXT_CONFIG), str(path), 'cpu')
    assert str(error.value) == expected


def _run_tool(monkeypatch, tool, *args):
    """Run ``tools/<tool>`` in this process as a user does; return its exit
    code or message."""
    monkeypatch.setattr(sys, 'argv', [tool, *map(str, args)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(REPO_ROOT / 'tools' / tool), run_name='__main__')
    return exit_.value.code


@pytest.mark.parametrize('cause', ONE_PER_CLASS)
def test_infer_gives_the_same_message(monkeypatch, tmp_path, cause):
    path = _write(tmp_path, cause)
    expected = _expected(path, cause)
    assert _run_tool(monkeypatch, 'infer.py', TINY_IMAGE,
                     TINY_PASCAL_CONTEXT_CONFIG, path, '--out',
                     tmp_path / 'mask.png') == f'infer: {expected}'
    assert not (tmp_path / 'mask.png').exists()


@pytest.mark.slow
@pytest.mark.parametrize('cause', ONE_PER_CLASS)
def test_mmseg_test_tool_gives_the_same_message(tmp_path, cause):
    path = _write(tmp_path, cause)
    expected = _expected(path, cause)
    result = run_python(
        mmseg_tool('test.py'), TINY_PASCAL_CONTEXT_CONFIG, path,
        '--work-dir', tmp_path / 'test')
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr[-2000:]


@pytest.mark.slow
def test_code_in_a_pickle_never_runs_in_mmseg_test_tool(tmp_path):
    path = tmp_path / 'hostile.pth'
    marker = tmp_path / 'pwned'
    torch.save({'state_dict': {}, 'meta': _RunsShell(f'touch {marker}')}, path)
    result = run_python(
        mmseg_tool('test.py'), TINY_PASCAL_CONTEXT_CONFIG, path,
        '--work-dir', tmp_path / 'test')
    assert result.returncode != 0
    assert f'{path}: refused: unpickling it would call posix.system' in \
        result.stderr
    assert not marker.exists(), 'the pickled command ran'


# --- the converter: the same messages, and the reverse kind ----------------


@pytest.mark.parametrize(
    'cause', sorted(set(CAUSES) - {'official_fastfcn'}))
def test_converter_gives_the_same_message(tmp_path, cause):
    path = _write(tmp_path, cause)
    expected = _expected(path, cause)
    with pytest.raises(CAUSES[cause][1]) as error:
        load_official_state_dict(path)
    assert str(error.value) == expected
    assert 'resume' not in expected


@pytest.mark.parametrize(
    'cause', sorted(set(ONE_PER_CLASS) - {'official_fastfcn'}))
def test_converter_cli_gives_the_same_message(monkeypatch, tmp_path, cause):
    path = _write(tmp_path, cause)
    expected = _expected(path, cause)
    assert _run_tool(monkeypatch, 'convert_fastfcn.py', path,
                     tmp_path / 'out.pth', '--config-out', tmp_path /
                     'out.py') == f'convert_fastfcn: {expected}'
    assert not (tmp_path / 'out.pth').exists()


def test_mmseg_checkpoint_given_to_the_converter(monkeypatch, tmp_path):
    path = tmp_path / 'mmseg.pth'
    torch.save(_mmseg(), path)
    expected = (f'{path} is an mmseg checkpoint (keys backbone.*, '
                'decode_head.*), not an official FastFCN one: it needs no '
                'conversion. Use it directly with its config:')
    with pytest.raises(CheckpointKindError) as error:
        load_official_state_dict(path)
    assert str(error.value).startswith(expected)
    assert _run_tool(monkeypatch, 'convert_fastfcn.py', path,
                     tmp_path / 'out.pth', '--config-out',
                     tmp_path / 'out.py') == f'convert_fastfcn: {error.value}'
    # an mmseg checkpoint loads where an mmseg one is expected
    assert 'state_dict' in load_weights_only(path)


def test_official_checkpoint_given_to_mmseg_says_convert_it(tmp_path):
    path = tmp_path / 'official.pth.tar'
    torch.save(_official_fastfcn(), path)
    with pytest.raises(CheckpointKindError) as error:
        CheckpointLoader.load_checkpoint(str(path), 'cpu')
    assert str(error.value).startswith(
        f'{path} is an official FastFCN checkpoint (keys pretrained.*, '
        'jpu.*, head.*), not an mmseg one: mmseg would load none of its '
        'weights, whose modules have other names. Convert it first: '
        f'.venv/bin/python tools/convert_fastfcn.py {path} CONVERTED.pth '
        '--config-out CONVERTED_CONFIG.py')
    assert load_weights_only(path, official_fastfcn=True)['epoch'] == 80


def test_converter_names_a_checkpoint_of_another_model(monkeypatch,
                                                       tmp_path):
    path = tmp_path / 'resnet.pth'
    torch.save({'conv1.weight': torch.ones(1), 'fc.weight': torch.ones(1)},
               path)
    code = _run_tool(monkeypatch, 'convert_fastfcn.py', path,
                     tmp_path / 'out.pth', '--config-out', tmp_path / 'o.py')
    assert code.startswith('convert_fastfcn: not an official FastFCN '
                           'checkpoint')
    assert 'its keys start with conv1., fc.;' in code
