# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/benchmark.py runs end to end at a tiny size and reports every
figure; its parts measure what they claim."""
import json
import subprocess
import sys

import pytest
import torch

from .conftest import REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG
from mmseg_jpu.tools.benchmark.inference_options import parse_option, prepare
from mmseg_jpu.tools.benchmark.model_benchmark import add_ratios
from mmseg_jpu.tools.benchmark.peak_memory import measure_in_subprocess
from mmseg_jpu.tools.benchmark.segmentor_builder import (
    SegmentationLogits, build_segmentor, calibrate_batchnorm, load_config)
from mmseg_jpu.tools.benchmark.suite import select

BENCHMARK = REPO_ROOT / 'tools' / 'benchmark.py'
FIGURES = ('latency_ms_median', 'latency_ms_min', 'latency_ms_max',
           'latency_ms_iqr', 'fps', 'gflops', 'params_m', 'max_abs_diff',
           'max_rel_diff', 'argmax_agreement', 'backbone_ms', 'neck_ms',
           'head_ms', 'speedup', 'gflops_ratio', 'device', 'torch_version',
           'input_size', 'dtype')


def _benchmark(*args, **kwargs):
    return subprocess.run([sys.executable, str(BENCHMARK), *args],
                          capture_output=True, text=True, cwd=REPO_ROOT,
                          **kwargs)


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('benchmark')
    result = _benchmark('--heads', 'enc', '--depths', '50', '--variants',
                        'jpu-1x1', '--size', '64', '64', '--runs', '2', '--warmup', '1', '--options',
                        'fp32', 'bn_fold', 'channels_last', '--no-memory',
                        '--threads', '2', '--json', str(out / 'b.json'),
                        '--plot', str(out / 'fps.png'))
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads((out / 'b.json').read_text()), out


def test_reports_every_model_and_option(tiny_run):
    result, data, _ = tiny_run
    records = data['models']
    variants = {e.variant for e in select(('enc', ), (50, ), ['jpu-1x1'])}
    assert variants == {'dilated', 'jpu-1x1'}
    assert {(r['variant'], r['option']) for r in records} == {
        (v, o) for v in variants for o in ('fp32', 'bn_fold', 'channels_last')
    }
    for record in records:
        missing = [f for f in FIGURES if f not in record]
        assert not missing, (record['variant'], missing)
        assert record['input_size'] == [64, 64]
        assert record['runs'] == 2
        assert record['latency_ms_min'] <= record['latency_ms_median'] <= \
            record['latency_ms_max']
    for table in ('Dilated vs stride-32', 'Inference options', 'JPU necks'):
        assert table in result.stdout
    assert 'KaimingInit' not in result.stdout  # mmengine's log stays out


def test_ratios_relate_each_model_to_its_dilated_twin(tiny_run):
    records = tiny_run[1]['models']
    by_key = {(r['variant'], r['option']): r for r in records}
    for (variant, option), record in by_key.items():
        if variant == 'dilated':
            assert record['speedup'] is None
            continue
        base = by_key[('dilated', option)]
        assert record['speedup'] == pytest.approx(record['fps'] / base['fps'])
        assert record['gflops_ratio'] == pytest.approx(
            record['gflops'] / base['gflops'])
    plain = {v: by_key[(v, 'fp32')]['gflops'] for v in ('dilated', 'jpu-1x1')}
    assert plain['jpu-1x1'] < plain['dilated'] / 2


def test_speed_options_keep_the_outputs(tiny_run):
    for record in tiny_run[1]['models']:
        if record['option'] == 'fp32':
            assert record['max_abs_diff'] == 0
        assert record['max_rel_diff'] < 1e-4, record
        assert record['argmax_agreement'] > 0.99


def test_neck_comparison_and_plot(tiny_run):
    _, data, out = tiny_run
    assert {(r['neck'], r['passes']) for r in data['necks']} == {
        (neck, passes) for neck in ('JointPyramidUpsampling', 'mmseg JPU')
        for passes in ('forward', 'forward+backward')}
    assert (out / 'fps.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_unknown_option_is_named():
    result = _benchmark('--options', 'fp32', 'bn_fold+turbo')
    assert result.returncode != 0
    assert "unknown inference option 'turbo'" in result.stderr


def test_half_precision_options_exclude_each_other():
    with pytest.raises(ValueError, match='bf16 and fp16'):
        parse_option('bf16+fp16')


def test_bf16_autocast_stays_close_to_fp32():
    cfg = load_config(TINY_PASCAL_CONTEXT_CONFIG)
    model = build_segmentor(cfg, torch.device('cpu'))
    calibrate_batchnorm(model, (64, 64), torch.device('cpu'))
    logits = SegmentationLogits(model)
    inputs = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        reference = logits(inputs)
    output = prepare(logits, 'bf16', torch.device('cpu'))(inputs)
    assert output.dtype == torch.float32
    assert output.shape == reference.shape == (1, 59, 64, 64)
    relative = (output - reference).abs().max() / reference.abs().max()
    assert 0 < relative < 0.1


@pytest.mark.parametrize('mode', ['inference', 'training'])
def test_peak_memory_grows_with_the_batch(mode):
    small, large = (
        measure_in_subprocess(TINY_PASCAL_CONTEXT_CONFIG, mode, (96, 96),
                              batch, torch.device('cpu'), threads=1)
        for batch in (1, 8))
    assert 0 < small < large


def test_add_ratios_without_baseline_gives_none():
    records = add_ratios([
        dict(model='m', variant='a', baseline=None, option='fp32', fps=2.0,
             gflops=10.0, params_m=1.0),
        dict(model='m', variant='b', baseline='a', option='fp32', fps=5.0,
             gflops=4.0, params_m=1.0),
    ])
    assert records[0]['speedup'] is None
    assert records[1]['speedup'] == 2.5
    assert records[1]['gflops_ratio'] == 0.4
    assert records[1]['training_mem_ratio'] is None  # not measured


def test_suite_pairs_every_model_with_an_existing_baseline():
    entries = select()
    for entry in entries:
        assert entry.config.is_file(), entry.config
        if entry.baseline:
            assert any(e.model == entry.model and e.variant == entry.baseline
                       for e in entries), entry
    heads = {e.model: e.head for e in entries}
    assert set(heads.values()) == {'enc', 'psp', 'aspp', 'eseg'}
