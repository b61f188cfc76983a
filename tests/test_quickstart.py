# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The README's main job, run as a newcomer runs it."""
import re
import subprocess
import sys

from .conftest import REPO_ROOT


def test_main_job_beats_the_constant_predictor(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / 'tools' / 'quickstart.py'), '--work-dir',
            str(tmp_path)
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    trained = float(
        re.search(r'mIoU of the trained model .*: ([0-9.]+)',
                  result.stdout).group(1))
    constant = float(
        re.search(r'mIoU of the best constant predictor: +([0-9.]+)',
                  result.stdout).group(1))
    assert trained > constant + 20, (trained, constant)
    assert (tmp_path / 'iter_300.pth').is_file()
    assert 'Iter(test) [4/4]' in result.stdout  # mmseg's test tool ran
    assert '300/300' in result.stdout  # the progress bar reached the end
