# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/jpuify.py refuses bad arguments with one argparse-style line (exit
status 2) and reports a config or checkpoint it cannot convert in one line
(exit status 1), without a traceback and writing nothing; it documents
every option; with --checkpoint it prints its summary and nothing else
unless --verbose, and the same seed gives the same converted checkpoint."""
import re

import pytest
import torch
from mmengine.config import Config

from mmseg_jpu.tools.jpuify.levels import build_model
from mmseg_jpu.utils.config_loading import scope_config_root
from .conftest import REPO_ROOT, run_python

TOOL = REPO_ROOT / 'tools' / 'jpuify.py'
PSPNET = 'mmseg::pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'
CGNET = 'mmseg::cgnet/cgnet_fcn_4xb8-60k_cityscapes-512x1024.py'
#: case -> (arguments, {tmp} being the test's folder; the error line)
BAD_ARGUMENTS = {
    'missing config': (['nope.py', '{tmp}/out.py'],
                       'argument src_config: config not found: nope.py'),
    'unknown mmseg config': (['mmseg::nope/nope.py', '{tmp}/out.py'],
                             'config not found: .*nope/nope.py'),
    'output not a .py file': ([PSPNET, '{tmp}/out.txt'],
                              'argument out_config: .*out.txt: .txt is not '
                              'written: give a .py file'),
    'output folder is a file': ([PSPNET, '{tmp}/a_file/out.py'],
                                'a_file is a file, not a folder'),
    'missing checkpoint': ([PSPNET, '{tmp}/out.py', '--checkpoint', 'no.pth'],
                           'argument --checkpoint: no.pth: no such file'),
    'bad output stride': ([PSPNET, '{tmp}/out.py', '--output-stride', '4'],
                          'argument --output-stride: invalid choice: 4'),
}
#: case -> (arguments, the error line): configs and checkpoints that cannot
#: be converted
FAILURES = {
    'checkpoint of another model':
    ([PSPNET, '{tmp}/out.py', '--checkpoint', '{tmp}/other.pth'],
     r'other.pth does not fit the source config \(.* missing: '
     r'auxiliary_head\..*; 1 unexpected: backbone.nope\)'),
    'refused config': ([CGNET, '{tmp}/out.py'],
                       'CGNet.s dilations .* Context Guided blocks'),
}
#: mmseg's dilated PSPNet model, shrunk to a ResNet-18
SMALL_PSPNET = f"""
_base_ = '{scope_config_root('mmseg')}/_base_/models/pspnet_r50-d8.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=512, channels=16, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=16, norm_cfg=norm_cfg))
"""


@pytest.mark.slow
def test_help_gives_every_option_its_meaning_and_default():
    result = run_python(TOOL, '--help')
    assert result.returncode == 0
    text = ' '.join(result.stdout.split())
    for option in ('src_config', 'out_config', '--cfg-options',
                   '--checkpoint', '--seed', '--output-stride', '--flops',
                   '--verbose'):
        assert option in text
    for meaning_of_none in ('without it: write the config only',
                            "without it: the source's"):
        assert meaning_of_none in text
    assert '(default: 0)' in text
    assert '(default: None)' not in text


def _run_case(cases, case, tmp_path, status, prefix):
    (tmp_path / 'a_file').write_text('')
    torch.save({'state_dict': {
        'backbone.nope': torch.zeros(1)
    }}, tmp_path / 'other.pth')
    arguments, message = cases[case]
    result = run_python(TOOL, *(a.format(tmp=tmp_path) for a in arguments))
    assert result.returncode == status, result.stderr
    assert 'Traceback' not in result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(prefix)
    assert re.search(message, error), error
    assert not (tmp_path / 'out.py').exists()


@pytest.mark.slow
@pytest.mark.parametrize('case', BAD_ARGUMENTS)
def test_bad_arguments_get_one_line_and_exit_status_2(case, tmp_path):
    _run_case(BAD_ARGUMENTS, case, tmp_path, 2, 'jpuify.py: error: ')


@pytest.mark.slow
@pytest.mark.parametrize('case', FAILURES)
def test_conversion_failures_get_one_line_and_exit_status_1(case, tmp_path):
    _run_case(FAILURES, case, tmp_path, 1, 'jpuify.py: ')


@pytest.mark.slow
def test_checkpoint_run_prints_its_summary_only_and_is_seeded(tmp_path):
    source = tmp_path / 'source.py'
    source.write_text(SMALL_PSPNET)
    torch.save({'state_dict': build_model(
        Config.fromfile(str(source)).model, meta=False).state_dict()},
               tmp_path / 'source.pth')

    def convert(name, *options):
        result = run_python(TOOL, source, tmp_path / f'{name}.py',
                            '--checkpoint', tmp_path / 'source.pth',
                            *options)
        assert result.returncode == 0, result.stderr
        state = torch.load(tmp_path / f'{name}.pth')['state_dict']
        return result, state

    quiet, first = convert('first')
    assert quiet.stdout.splitlines()[0].endswith('first.py')
    assert quiet.stdout.splitlines()[-1].startswith('load_from ')
    assert len(quiet.stdout.splitlines()) <= 12, quiet.stdout
    assert 'init_weights' not in quiet.stderr
    verbose, again = convert('again', '--verbose')
    assert 'init_weights' in verbose.stdout + verbose.stderr
    _, other_seed = convert('other_seed', '--seed', '1')
    neck = [key for key in first if key.startswith('neck.')]
    assert neck and all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other_seed[k]) for k in neck)
