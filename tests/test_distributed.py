# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Distributed training and testing with the shipped scripts
(``tools/dist_train.sh``, ``tools/dist_test.sh``: torchrun + mmseg's tools
with the plugin) on 2 CPU processes (gloo), as CI runs them."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from .conftest import REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG, read_test_metrics

pytestmark = pytest.mark.slow  # several processes each
TOOLS = REPO_ROOT / 'tools'
TESTS = Path(__file__).resolve().parent
#: a run of more than this is a hang
TIMEOUT_S = 600


def _free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def _env() -> dict:
    """A free port, one OpenMP thread per process, this Python for the
    scripts, the tests folder importable (:class:`RankDigestHook`)."""
    return dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PORT=_free_port(),
        PYTHON=sys.executable,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(TESTS), os.environ.get('PYTHONPATH')])))


def run_tool(*command) -> subprocess.CompletedProcess:
    """``command`` from the repository root, output captured."""
    return subprocess.run([str(c) for c in command], cwd=REPO_ROOT,
                          env=_env(), capture_output=True, text=True,
                          timeout=TIMEOUT_S)


def short_run(work_dir: Path, iters: int = 4, *extra) -> list:
    return [
        '--work-dir', work_dir, '--cfg-options', f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.checkpoint.max_keep_ckpts=-1', *extra
    ]


@pytest.fixture(scope='module')
def syncbn_config(tmp_path_factory) -> Path:
    """The quickstart config with SyncBN in every layer, as the zoo's, and
    :class:`RankDigestHook`."""
    path = tmp_path_factory.mktemp('config') / 'tiny_syncbn.py'
    path.write_text(
        f"_base_ = ['{TINY_PASCAL_CONTEXT_CONFIG}']\n"
        'custom_imports = dict(imports=[\'mmseg_jpu\', '
        "'mmseg_jpu.enable_weights_only_loading', 'rank_digest_hook'])\n"
        "custom_hooks = [dict(type='RankDigestHook')]\n"
        "norm_cfg = dict(type='SyncBN', requires_grad=True)\n"
        'model = dict(backbone=dict(norm_cfg=norm_cfg), '
        'neck=dict(norm_cfg=norm_cfg), decode_head=dict(norm_cfg=norm_cfg), '
        'auxiliary_head=dict(norm_cfg=norm_cfg))\n')
    return path


@pytest.fixture(scope='module')
def trained(tmp_path_factory, syncbn_config):
    """``dist_train.sh`` on 2 CPU processes: (work dir, result)."""
    work_dir = tmp_path_factory.mktemp('dist_train')
    result = run_tool('bash', TOOLS / 'dist_train.sh', syncbn_config, 2,
                      *short_run(work_dir))
    return work_dir, result


def test_dist_train_trains_a_syncbn_config_on_two_cpu_processes(trained):
    work_dir, result = trained
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    # one notice, from rank 0
    assert output.count('SyncBN works on GPUs only') == 1, output[-3000:]
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    # written once, by rank 0, and complete
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [
        'iter_2.pth', 'iter_4.pth'
    ]
    ranks = [
        json.loads((work_dir / f'rank{r}.json').read_text()) for r in (0, 1)
    ]
    assert [r['world_size'] for r in ranks] == [2, 2]
    assert [r['iter'] for r in ranks] == [4, 4]
    # each rank trained on its own shard of the data ...
    assert ranks[0]['last_loss'] != ranks[1]['last_loss']
    # ... and DDP kept the parameters identical
    assert ranks[0]['digest'] == ranks[1]['digest']
    checkpoint = torch.load(work_dir / 'iter_4.pth', weights_only=False)
    assert checkpoint['meta']['iter'] == 4
    assert not any('SyncBatchNorm' in type(v).__name__
                   for v in checkpoint['state_dict'].values())


def test_dist_test_on_two_processes_gives_the_one_process_miou(
        trained, syncbn_config, tmp_path):
    work_dir, result = trained
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = work_dir / 'iter_4.pth'
    two = run_tool('bash', TOOLS / 'dist_test.sh', syncbn_config, checkpoint,
                   2, '--work-dir', tmp_path / 'two')
    assert two.returncode == 0, two.stderr[-3000:]
    one = run_tool(sys.executable, TOOLS / 'test.py', syncbn_config,
                   checkpoint, '--work-dir', tmp_path / 'one')
    assert one.returncode == 0, one.stderr[-3000:]
    metrics = [read_test_metrics(tmp_path / run) for run in ('one', 'two')]
    assert metrics[0]['mIoU'] == pytest.approx(metrics[1]['mIoU'], abs=0.01)
    assert metrics[0]['aAcc'] == pytest.approx(metrics[1]['aAcc'], abs=0.01)


def _rank_pids(work_dir: Path) -> list:
    """The training processes (not torchrun's agent) writing to
    ``work_dir``."""
    pids = []
    for entry in Path('/proc').iterdir():
        try:
            command = (entry / 'cmdline').read_bytes().split(b'\0')
        except OSError:
            continue
        words = [w.decode(errors='replace') for w in command]
        if (str(TOOLS / 'train.py') in words and str(work_dir) in words
                and 'torch.distributed.run' not in words):
            pids.append(int(entry.name))
    return pids


def test_killing_one_rank_then_resuming_completes(syncbn_config, tmp_path):
    command = ['bash', TOOLS / 'dist_train.sh', syncbn_config, 2,
               *short_run(tmp_path, 1000)]
    run = subprocess.Popen([str(c) for c in command], cwd=REPO_ROOT, env=_env(),
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + TIMEOUT_S
    while not (tmp_path / 'iter_2.pth').exists():
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(_rank_pids(tmp_path)[-1], signal.SIGKILL)
    # torchrun stops the other rank and fails: no hang
    assert run.wait(timeout=TIMEOUT_S) != 0
    assert not _rank_pids(tmp_path)

    last = Path((tmp_path / 'last_checkpoint').read_text().strip())
    done = torch.load(last, weights_only=False)['meta']['iter']
    # resumed on one process: another total batch, said in one line
    resumed = run_tool(sys.executable, TOOLS / 'train.py', syncbn_config,
                       *short_run(tmp_path, done + 2), '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (tmp_path / f'iter_{done + 2}.pth').is_file()
    warning = ('resuming a run of 2 process(es) x 8 images = 16 images per '
               'iteration with 1 x 8 = 8')
    assert warning in resumed.stdout + resumed.stderr
    assert warning in max(tmp_path.glob('*/*.log')).read_text()


def test_a_diverging_run_stops_every_rank_with_the_message_in_the_log(
        syncbn_config, tmp_path):
    start = time.monotonic()
    result = run_tool('bash', TOOLS / 'dist_train.sh', syncbn_config, 2,
                      *short_run(tmp_path, 20,
                                 'optim_wrapper.optimizer.lr=1e8'))
    assert result.returncode != 0
    assert time.monotonic() - start < TIMEOUT_S
    output = result.stdout + result.stderr
    stop = 'training stopped at iteration'
    # both ranks stopped on the same error, not one on a hang or a kill
    assert output.count(f'TrainingDivergedError: {stop}') >= 2, output[-3000:]
    log = max(tmp_path.glob('*/*.log')).read_text()
    assert f'TrainingDivergedError: {stop}' in log
    # no checkpoint of the diverged model
    for path in tmp_path.glob('iter_*.pth'):
        state = torch.load(path, weights_only=False)['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values()
                   if v.is_floating_point())


def test_missing_data_stops_every_rank_with_its_message(syncbn_config,
                                                        tmp_path):
    result = run_tool('bash', TOOLS / 'dist_train.sh', syncbn_config, 2,
                      *short_run(tmp_path, 4,
                                 'train_dataloader.dataset.data_root=nowhere'))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert output.count('DatasetNotFoundError') >= 2, output[-3000:]
    assert 'docs/datasets.md' in output
