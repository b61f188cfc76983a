# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""A non-editable install: the package ships its configs, model index and
tiny data (``mmseg_jpu/.mim``), the tools run from any working directory,
and the configs they write keep working after the installation moves."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from .conftest import REPO_ROOT
from .fastfcn_official_weights import official_checkpoint

GOLDEN = REPO_ROOT / 'tests' / 'data' / 'fastfcn_golden'
PSP_CASE = 'psp_jpu_r50_pcontext'

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """``pip install .`` (non-editable) into a folder of its own."""
    target = tmp_path_factory.mktemp('site') / 'site-packages'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
        '--no-build-isolation', '--target',
        str(target),
        str(REPO_ROOT)
    ],
                   check=True)
    return target


def _run(site: Path, cwd: Path, *command) -> subprocess.CompletedProcess:
    """Python with ``site`` in front of the path, from ``cwd``."""
    env = dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *map(str, command)],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True)


def _python(site: Path, cwd: Path, code: str) -> str:
    result = _run(site, cwd, '-c', code)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def test_the_package_ships_configs_model_index_and_tiny_data(installed):
    mim = installed / 'mmseg_jpu' / '.mim'
    shipped = {p.relative_to(mim / 'configs') for p in
               (mim / 'configs').rglob('*.py')}
    assert shipped == {
        p.relative_to(REPO_ROOT / 'configs')
        for p in (REPO_ROOT / 'configs').rglob('*.py')
    }
    assert not (mim / 'configs').is_symlink()
    assert (mim / 'model-index.yml').is_file()
    assert sorted((mim / 'data' / 'tiny').rglob('*.png'))
    assert (mim / 'demo' / 'demo.jpg').is_file()  # the benchmark's photo


def test_quickstart_config_and_data_resolve_inside_the_package(
        installed, tmp_path):
    found = json.loads(
        _python(
            installed, tmp_path, 'import json\n'
            'from mmengine.config import Config\n'
            'from mmseg_jpu.tools.quickstart import DEFAULT_CONFIG\n'
            'cfg = Config.fromfile(str(DEFAULT_CONFIG))\n'
            'print(json.dumps([str(DEFAULT_CONFIG),'
            ' cfg.train_dataloader.dataset.data_root]))'))
    config, data_root = map(Path, found)
    assert installed in config.parents
    assert (data_root / 'ImageSets' / 'SegmentationContext' /
            'train.txt').resolve().is_file()
    assert installed in data_root.resolve().parents


def test_tools_run_from_elsewhere_and_their_configs_survive_a_move(
        installed, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    meta = json.loads((GOLDEN / f'{PSP_CASE}.json').read_text())
    torch.save(
        official_checkpoint(GOLDEN / f'{PSP_CASE}.manifest.json',
                            meta['seed']), work / 'official.pth')
    converted = _run(installed, work, REPO_ROOT / 'tools' /
                     'convert_fastfcn.py', 'official.pth', 'psp.pth',
                     '--config-out', 'psp.py')
    assert converted.returncode == 0, converted.stderr[-3000:]
    jpuified = _run(
        installed, work, REPO_ROOT / 'tools' / 'jpuify.py',
        'mmseg::pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py',
        'pspnet_jpu.py')
    assert jpuified.returncode == 0, jpuified.stderr[-3000:]
    for written in ('psp.py', 'pspnet_jpu.py'):
        text = (work / written).read_text()
        assert str(REPO_ROOT) not in text and str(installed) not in text

    moved = tmp_path / 'moved' / 'site-packages'
    shutil.move(str(installed.parent), str(moved.parent))
    try:
        built = _python(
            moved, work, 'from mmengine.config import Config\n'
            'from mmengine.registry import init_default_scope\n'
            'from mmseg.registry import MODELS\n'
            'init_default_scope("mmseg")\n'
            'for name in ("psp.py", "pspnet_jpu.py"):\n'
            '    cfg = Config.fromfile(name)\n'
            '    print(type(MODELS.build(cfg.model).neck).__name__)')
        assert built.splitlines()[-2:] == ['JointPyramidUpsampling'] * 2
        image = REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010' / \
            'JPEGImages' / 'tiny_val_000.jpg'
        inferred = _run(moved, work, REPO_ROOT / 'tools' / 'infer.py', image,
                        'psp.py', 'psp.pth', '--out', 'mask.png')
        assert inferred.returncode == 0, inferred.stderr[-3000:]
        assert (work / 'mask.png').is_file()
    finally:
        shutil.move(str(moved.parent), str(installed.parent))
