# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Checkpoint files from outside: every local checkpoint mmengine and mmseg
load (``load_from``, ``--resume``, ``tools/test.py``, ``init_model``) and
the official-checkpoint converter read with ``weights_only=True``; a pickle
that would run code is refused, a missing, truncated or corrupt file gives
an error naming it."""
import os
import re
import runpy
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, load_checkpoint

import mmseg_jpu.enable_weights_only_loading  # noqa: F401 (the switch under test)

from mmseg.apis import init_model
from mmseg_jpu.tools.fastfcn_converter import load_official_state_dict
from mmseg_jpu.tools.mmseg_tools import mmseg_tool
from mmseg_jpu.utils.weights_only_checkpoint_loader import (
    CheckpointLoadError, UntrustedCheckpointError, load_weights_only)
from .conftest import REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG, run_python


class _RunsShell:
    """Pickles as ``os.system(command)``: loading it would run the
    command."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


@pytest.fixture
def hostile(tmp_path):
    """A checkpoint whose loading would create ``tmp_path / 'pwned'``."""
    path = tmp_path / 'hostile.pth'
    marker = tmp_path / 'pwned'
    torch.save({
        'state_dict': {},
        'meta': _RunsShell(f'touch {marker}')
    }, path)
    yield path
    assert not marker.exists(), 'the pickled command ran'


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


@pytest.fixture
def complete(tmp_path):
    path = tmp_path / 'complete.pth'
    torch.save(_runner_like_checkpoint(), path)
    return path


def test_runner_checkpoint_contents_load(complete):
    checkpoint = CheckpointLoader.load_checkpoint(str(complete), 'cpu')
    assert checkpoint['meta']['iter'] == 4
    assert checkpoint['message_hub']['log_scalars']['train/loss'].mean() \
        == 1.5


def test_code_in_a_pickle_is_refused_by_mmengine_loading(hostile):
    with pytest.raises(
            UntrustedCheckpointError,
            match=re.escape(f'{hostile}: refused: the file would run code '
                            '(global posix.system) - only load files you '
                            'trust')):
        CheckpointLoader.load_checkpoint(str(hostile), 'cpu')
    model = torch.nn.Conv2d(2, 2, 1)
    with pytest.raises(UntrustedCheckpointError):
        load_checkpoint(model, str(hostile), 'cpu')


def test_code_in_a_pickle_is_refused_by_init_model(hostile):
    with pytest.raises(
            UntrustedCheckpointError, match=re.escape(str(hostile))):
        init_model(str(TINY_PASCAL_CONTEXT_CONFIG), str(hostile), 'cpu')


def test_code_in_a_pickle_is_refused_by_mmseg_test_tool(hostile, tmp_path):
    result = run_python(
        mmseg_tool('test.py'), TINY_PASCAL_CONTEXT_CONFIG, hostile,
        '--work-dir', tmp_path / 'test')
    assert result.returncode != 0
    assert f'{hostile}: refused: the file would run code' in result.stderr


def test_code_in_a_pickle_is_refused_by_the_converter(hostile):
    with pytest.raises(
            UntrustedCheckpointError, match=re.escape(str(hostile))):
        load_official_state_dict(hostile)


@pytest.mark.parametrize('damage', [
    lambda data: data[:len(data) // 2],
    lambda data: data[:len(data) - 100],
    lambda data: b'',
    lambda data: b'this is not a checkpoint',
], ids=['half', 'end_missing', 'empty', 'not_a_checkpoint'])
def test_truncated_or_corrupt_file_is_named(complete, tmp_path, damage):
    path = tmp_path / 'damaged.pth'
    path.write_bytes(damage(complete.read_bytes()))
    message = f'{re.escape(str(path))} is truncated or corrupt'
    with pytest.raises(CheckpointLoadError, match=message):
        CheckpointLoader.load_checkpoint(str(path), 'cpu')
    with pytest.raises(CheckpointLoadError, match=message):
        load_official_state_dict(path)


def test_truncated_file_is_reported_by_the_converter_cli(
        complete, tmp_path, monkeypatch):
    path = tmp_path / 'official.pth'
    path.write_bytes(complete.read_bytes()[:1000])
    monkeypatch.setattr(sys, 'argv', [
        'convert_fastfcn.py',
        str(path),
        str(tmp_path / 'out.pth'), '--config-out',
        str(tmp_path / 'out.py')
    ])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(
            str(REPO_ROOT / 'tools' / 'convert_fastfcn.py'),
            run_name='__main__')
    assert exit_.value.code.startswith(
        f'convert_fastfcn: {path} is truncated or corrupt')


def test_missing_file_is_named(tmp_path):
    path = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError,
                       match='checkpoint file not found: ' +
                       re.escape(str(path))):
        CheckpointLoader.load_checkpoint(str(path), 'cpu')


class _FetchesAttribute:
    """Pickles as ``getattr(OrderedDict, 'fromkeys')``."""

    def __reduce__(self):
        return getattr, (OrderedDict, 'fromkeys')


def test_getattr_beyond_the_allowlist_is_refused_with_the_reason(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _FetchesAttribute()}, path)
    with pytest.raises(UntrustedCheckpointError,
                       match=r'would run code \(refusing getattr\(.*'
                       r'OrderedDict.*fromkeys'):
        load_weights_only(path)
