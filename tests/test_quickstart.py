# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The README's main job, run as a newcomer runs it."""
import json

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg_jpu.tools.quickstart import (DEFAULT_CONFIG, RESULT_FILE,
                                        constant_predictor_miou)
from .conftest import REPO_ROOT, run_python


@pytest.mark.slow
def test_main_job_beats_the_constant_predictor(tmp_path):
    result = run_python(REPO_ROOT / 'tools' / 'quickstart.py', '--work-dir',
                        tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    figures = json.loads((tmp_path / RESULT_FILE).read_text())
    assert figures['mIoU'] > figures['constant_predictor_mIoU'] + 20, figures
    assert figures['checkpoint'] == str(tmp_path / 'iter_300.pth')
    assert f"{figures['mIoU']:.2f}" in result.stdout  # the printed report
    assert '300/300' in result.stdout  # our progress bar reached the end


def test_constant_predictor_miou_is_the_readme_figure():
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(DEFAULT_CONFIG))
    assert f'{constant_predictor_miou(cfg):.2f}' == '6.71'  # as IoUMetric
