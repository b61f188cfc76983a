# Copyright (c) mmseg_jpu contributors. All rights reserved.
import pytest

from mmseg_jpu.utils import version_check


def test_installed_stack_is_supported():
    version_check.check_versions()


def test_unsupported_versions_give_one_clear_error(monkeypatch):
    found = {'torch': '2.13.0', 'mmcv': '2.0.1', 'mmengine': '0.10.7',
             'mmseg': None}
    monkeypatch.setattr(version_check, 'installed_version', found.get)
    with pytest.raises(ImportError) as error:
        version_check.check_versions()
    message = str(error.value)
    assert 'mmcv 2.0.1 is installed (need >=2.1.0,<2.4.0)' in message
    assert 'mmseg is not installed' in message
    assert 'torch' not in message
    assert 'requirements/default.txt' in message
