# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The README's main job, run as a newcomer runs it."""
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg_jpu.tools.quickstart import DEFAULT_CONFIG, constant_predictor_miou
from .conftest import REPO_ROOT, run_python


@pytest.mark.slow
def test_main_job_beats_the_constant_predictor(tmp_path):
    result = run_python(REPO_ROOT / 'tools' / 'quickstart.py', '--work-dir',
                        tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    model, constant = map(
        float, re.findall(r'^mIoU of .*: +([\d.]+)$', result.stdout, re.M))
    assert model > constant + 20, result.stdout
    assert result.stdout.endswith('The model beats the constant predictor.\n')
    assert (tmp_path / 'iter_300.pth').is_file()
    assert '300/300' in result.stdout  # our progress bar reached the end
    assert ' - mmengine - INFO - ' not in result.stdout  # in the log file


def test_constant_predictor_miou_is_the_readme_figure():
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(DEFAULT_CONFIG))
    assert f'{constant_predictor_miou(cfg):.2f}' == '6.71'  # as IoUMetric
