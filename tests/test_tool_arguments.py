# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The argument checks the tools share (mmseg_jpu/tools/argument_checks.py)
refuse bad values with one line, and tools/convert_fastfcn.py uses them:
missing source, output formats, unwritable folders, source overwritten."""
import argparse
import runpy
import sys

import pytest
import torch

from mmseg_jpu.tools.argument_checks import (device, existing_file, fraction,
                                             output_file, output_folder,
                                             positive_int)
from .conftest import REPO_ROOT, run_python


@pytest.mark.parametrize('check, text, message', [
    (positive_int, '0', '0 is below 1'),
    (positive_int, '-3', '-3 is below 1'),
    (positive_int, 'two', "'two' is not an integer"),
    (fraction, '1.01', '1.01 is not between 0 and 1'),
    (fraction, 'half', "'half' is not a number"),
    (device, 'tpu:x', "'tpu:x' is not a device: use cpu, cuda or cuda:N"),
    (output_file(('.png', )), 'a.jpeg', 'a.jpeg: .jpeg compresses lossily'),
    (output_file(('.pth', '.pt')), 'model',
     'model: no file extension: give a .pth or .pt file, e.g. model.pth'),
])
def test_bad_values_are_refused_in_one_line(check, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as error:
        check(text)
    assert str(error.value).startswith(message)
    assert '\n' not in str(error.value)


def test_good_values_pass(tmp_path):
    assert positive_int('3') == 3
    assert fraction('0') == 0 and fraction('1') == 1
    assert device('cpu') == 'cpu'
    assert output_file(('.png', ))(str(tmp_path / 'new' / 'm.png')) == (
        tmp_path / 'new' / 'm.png')
    assert output_folder(str(tmp_path / 'a' / 'b')) == tmp_path / 'a' / 'b'
    assert not (tmp_path / 'new').exists()  # checking makes nothing
    (tmp_path / 'f.txt').write_text('')
    assert existing_file(str(tmp_path / 'f.txt')) == tmp_path / 'f.txt'


def test_folders_are_checked_by_writing_into_them(tmp_path):
    (tmp_path / 'file').write_text('')
    with pytest.raises(argparse.ArgumentTypeError,
                       match=f'{tmp_path}/file is a file, not a folder'):
        output_folder(str(tmp_path / 'file'))
    with pytest.raises(argparse.ArgumentTypeError,
                       match='cannot write into /sys/x: /sys is not '
                       'writable'):
        output_folder('/sys/x')


def test_missing_gpu_is_refused():
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        assert device('cuda') == 'cuda'
        with pytest.raises(argparse.ArgumentTypeError,
                           match=f'this machine has {count} cuda device'):
            device(f'cuda:{count}')
    else:
        with pytest.raises(argparse.ArgumentTypeError,
                           match='cuda:0: no CUDA device is available on '
                           'this machine'):
            device('cuda:0')


def _convert(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, 'argv',
                        ['convert_fastfcn.py', *map(str, args)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(
            str(REPO_ROOT / 'tools' / 'convert_fastfcn.py'),
            run_name='__main__')
    return exit_.value.code, capsys.readouterr().err.strip().splitlines()


def test_converter_arguments_are_checked(monkeypatch, capsys, tmp_path):
    source = tmp_path / 'official.pth.tar'
    source.write_bytes(b'x')
    cases = [
        ((tmp_path / 'nope.pth', 'out.pth', '--config-out', 'out.py'),
         f'argument src: {tmp_path}/nope.pth: no such file'),
        ((source, 'out', '--config-out', 'out.py'),
         'argument dst: out: no file extension: give a .pth or .pt file'),
        ((source, 'out.pth', '--config-out', 'out.txt'),
         'argument --config-out: out.txt: .txt is not written: give a .py '
         'file'),
        ((source, '/sys/out.pth', '--config-out', 'out.py'),
         'argument dst: cannot write into /sys: /sys is not writable'),
    ]
    monkeypatch.chdir(tmp_path)
    for args, message in cases:
        code, lines = _convert(monkeypatch, capsys, *args)
        assert code == 2
        assert lines[-1].startswith(f'convert_fastfcn.py: error: {message}')
    same = tmp_path / 'same.pth'
    same.write_bytes(b'x')
    code, lines = _convert(monkeypatch, capsys, same, same, '--config-out',
                           'out.py')
    assert code == 2
    assert lines[-1] == (f'convert_fastfcn.py: error: argument dst: {same} '
                         'is the official checkpoint itself: write the '
                         'converted one to another file')


def test_converter_help_gives_each_argument(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['convert_fastfcn.py', '--help'])
    with pytest.raises(SystemExit):
        runpy.run_path(
            str(REPO_ROOT / 'tools' / 'convert_fastfcn.py'),
            run_name='__main__')
    text = ' '.join(capsys.readouterr().out.split())
    assert "src official checkpoint (the .pth.tar that FastFCN's train.py " \
        'saves, or a bare state dict)' in text
    assert 'dst mmseg checkpoint to write (.pth)' in text
    assert '--config-out CONFIG_OUT config to write (.py)' in text


def test_cfg_options_without_a_value_is_a_usage_error():
    result = run_python(
        REPO_ROOT / 'tools' / 'check_dataset.py',
        'mmseg_jpu::quickstart/'
        'fastfcn_r18-d32_jpu_enc_1xb8-300_tiny-pascal-context-59-64x64.py',
        '--cfg-options', 'foo')
    assert result.returncode == 2
    assert "argument --cfg-options: 'foo' is not key=value" in result.stderr
    assert 'Traceback' not in result.stderr
