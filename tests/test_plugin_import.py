# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""``import mmseg_jpu`` registers modules and changes nothing else; the
weights-only checkpoint loading is switched on by its own import, which the
plugin's configs make."""
import json

import pytest

from .conftest import TINY_PASCAL_CONTEXT_CONFIG, run_python

# fresh Python processes
pytestmark = pytest.mark.slow

PROBE = '''
import json, sys
import torch
from mmengine.runner import CheckpointLoader

def state():
    return dict(local_loader=CheckpointLoader._schemes[''].__module__,
                safe_globals=len(torch.serialization.get_safe_globals()))

before = state()
import mmseg_jpu
from mmseg.registry import MODELS

after_import = dict(state(), registered='JointPyramidUpsampling' in MODELS)
exec(sys.argv[1])
print(json.dumps(dict(before=before, after_import=after_import,
                      after_switch=state())))
'''


def _probe(switch: str) -> dict:
    result = run_python('-c', PROBE, switch)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_the_plugin_only_registers_modules():
    states = _probe('pass')
    assert states['after_import'].pop('registered')
    assert states['after_import'] == states['before']


def test_the_switch_replaces_only_the_local_checkpoint_loader():
    states = _probe('import mmseg_jpu.enable_weights_only_loading')
    assert states['after_switch']['local_loader'] == \
        'mmseg_jpu.checkpoint.loader'
    assert states['after_switch']['safe_globals'] == \
        states['before']['safe_globals']


def test_the_plugin_configs_switch_it_on():
    states = _probe('from mmengine.config import Config; '
                    f'Config.fromfile({str(TINY_PASCAL_CONTEXT_CONFIG)!r})')
    assert states['after_switch']['local_loader'] == \
        'mmseg_jpu.checkpoint.loader'
