# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/jpuify.py refuses bad arguments with one argparse-style line (exit
status 2, no traceback, nothing written) and documents every option with
its default."""
import re

import pytest
import torch

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
                              'out.txt must end with .py'),
    'output folder is a file': ([PSPNET, '{tmp}/a_file/out.py'],
                                'a_file is a file, not a folder'),
    'missing checkpoint': ([PSPNET, '{tmp}/out.py', '--checkpoint', 'no.pth'],
                           'argument --checkpoint: no such file: no.pth'),
    'checkpoint of another model':
    ([PSPNET, '{tmp}/out.py', '--checkpoint', '{tmp}/other.pth'],
     r'other.pth does not fit the source config \(.* missing: '
     r'auxiliary_head\..*; 1 unexpected: backbone.nope\)'),
    'refused config': ([CGNET, '{tmp}/out.py'],
                       "CGNet's dilations .* Use the CGNet config as it is"),
    'bad output stride': ([PSPNET, '{tmp}/out.py', '--output-stride', '4'],
                          'argument --output-stride: invalid choice: 4'),
    'tiny flops input': ([PSPNET, '{tmp}/out.py', '--flops', '8', '8'],
                         'argument --flops: 8x8 is too small'),
}


@pytest.mark.slow
def test_help_gives_every_option_its_meaning_and_default():
    result = run_python(TOOL, '--help')
    assert result.returncode == 0
    text = ' '.join(result.stdout.split())
    for option in ('src_config', 'out_config', '--checkpoint',
                   '--output-stride', '--flops'):
        assert option in text
    for meaning_of_none in ('None: write the config only',
                            "None: the source's", 'None: not counted'):
        assert meaning_of_none in text
    assert text.count('(default: None)') == 3


@pytest.mark.slow
@pytest.mark.parametrize('case', BAD_ARGUMENTS)
def test_bad_arguments_get_one_line_and_exit_status_2(case, tmp_path):
    (tmp_path / 'a_file').write_text('')
    torch.save({'state_dict': {
        'backbone.nope': torch.zeros(1)
    }}, tmp_path / 'other.pth')
    arguments, message = BAD_ARGUMENTS[case]
    result = run_python(TOOL, *(a.format(tmp=tmp_path) for a in arguments))
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith('jpuify.py: error: ')
    assert re.search(message, error), error
    assert not (tmp_path / 'out.py').exists()
