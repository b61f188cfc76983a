# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/benchmark.py runs end to end at a tiny size with the eager and the
ONNX runtime options, the peer and the training step, and reports every
figure; its parts measure what they claim; an option the CPU cannot run is
skipped with a note; bad arguments get one-line errors."""
import json
import runpy
import subprocess
import sys

import pytest
import torch

from .conftest import REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG
from mmseg_jpu.deploy.inference_network import SegmentationLogits
from mmseg_jpu.tools.benchmark import inference_options
from mmseg_jpu.tools.benchmark.inference_options import (calibration_images,
                                                         compute_dtype,
                                                         prepare)
from mmseg_jpu.tools.benchmark.model_benchmark import measure_in_subprocess
from mmseg_jpu.tools.benchmark.report import markdown, targets
from mmseg_jpu.tools.benchmark.segmentor_builder import (
    build_segmentor, calibrate_batchnorm, image_inputs)
from mmseg_jpu.tools.benchmark.suite import PEER, select
from mmseg_jpu.utils.package_files import DEMO_IMAGE

BENCHMARK = REPO_ROOT / 'tools' / 'benchmark.py'
OPTIONS = ('fp32', 'bn_fold', 'onnxruntime', 'openvino', 'openvino_bf16',
           'openvino_int8')
FIGURES = ('latency_ms_median', 'latency_ms_min', 'latency_ms_max', 'fps',
           'gflops', 'params_m', 'max_abs_diff', 'max_rel_diff',
           'argmax_agreement', 'image_max_rel_diff', 'image_argmax_agreement',
           'backbone_ms', 'neck_ms', 'head_ms', 'speedup', 'gflops_ratio',
           'dtype', 'train_step_s_median', 'train_speedup')


def _benchmark(*args):
    return subprocess.run([sys.executable, str(BENCHMARK), *args],
                          capture_output=True, text=True, cwd=REPO_ROOT)


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('benchmark')
    result = _benchmark('--heads', 'enc', '--depths', '50', '--variants',
                        'jpu-1x1', PEER, '--size', '64', '64', '--runs', '2',
                        '--warmup', '0', '--options', *OPTIONS,
                        '--train-crop', '64', '64', '--train-batch', '2',
                        '--train-runs', '1', '--no-memory', '--threads', '2',
                        '--json', str(out / 'b.json'), '--plot',
                        str(out / 'fps.png'))
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads((out / 'b.json').read_text()), out


@pytest.mark.slow
def test_reports_every_model_and_option(tiny_run):
    result, data, _ = tiny_run
    records = data['models']
    variants = {e.variant for e in select(('enc', ), (50, ),
                                          ['jpu-1x1', PEER])}
    assert variants == {'dilated', 'jpu', 'dilated-matmul', 'jpu-1x1', PEER}
    assert {(r['variant'], r['option']) for r in records} == {
        (v, o) for v in variants for o in OPTIONS}
    for record in records:
        missing = [f for f in FIGURES if f not in record]
        assert not missing, (record['variant'], missing)
        assert record['latency_ms_min'] <= record['latency_ms_median'] <= \
            record['latency_ms_max']
    environment = data['environment']
    assert environment['input_size'] == [64, 64]
    assert environment['cpu_model'] and environment['cpu_flags']
    for table in ('Dilated vs stride-32', 'Training step', 'Inference options',
                  'Output differences', 'Like for like',
                  "mmseg's FastFCN with the same head", 'Targets'):
        assert table in result.stdout, table
    assert environment['cpu_model'] in result.stdout
    assert 'KaimingInit' not in result.stdout  # mmengine's log stays out


@pytest.mark.slow
def test_ratios_are_like_for_like(tiny_run):
    records = tiny_run[1]['models']
    by_key = {(r['variant'], r['option']): r for r in records}
    baselines = {'jpu': 'dilated', 'jpu-1x1': 'dilated-matmul',
                 PEER: 'dilated'}
    for (variant, option), record in by_key.items():
        if variant not in baselines:
            assert record['speedup'] is None
            continue
        base = by_key[(baselines[variant], option)]
        assert record['speedup'] == pytest.approx(record['fps'] / base['fps'])
        assert record['train_speedup'] == pytest.approx(
            base['train_step_s_median'] / record['train_step_s_median'])
    gflops = {v: by_key[(v, 'fp32')]['gflops'] for v in baselines}
    assert gflops['jpu-1x1'] < by_key[('dilated-matmul', 'fp32')]['gflops'] / 2
    assert gflops[PEER] == pytest.approx(gflops['jpu'], rel=0.05)


@pytest.mark.slow
def test_exact_options_keep_the_outputs_and_bf16_changes_them(tiny_run):
    for record in tiny_run[1]['models']:
        if record['option'] == 'fp32':
            assert record['max_abs_diff'] == 0
            assert record['image_max_abs_diff'] == 0
        elif record['dtype'] == 'float32':
            assert record['max_rel_diff'] < 1e-4, record
            assert record['image_max_rel_diff'] < 1e-4, record
            assert record['image_argmax_agreement'] > 0.99
        elif record['option'] == 'openvino_bf16':
            assert 0 < record['image_max_rel_diff'] < 0.2, record
        else:  # openvino_int8, calibrated on the photograph among others
            assert record['dtype'] == 'int8'
            assert 0 < record['image_max_rel_diff'] < 0.5, record
            assert record['image_argmax_agreement'] > 0.5, record


@pytest.mark.slow
def test_plot_is_written(tiny_run):
    assert (tiny_run[2] / 'fps.png').read_bytes()[:8] == \
        b'\x89PNG\r\n\x1a\n'


@pytest.mark.slow
@pytest.mark.parametrize('arguments, message', [
    (['--size', '0', '64'], 'argument --size: 0 is below 1'),
    (['--runs', '0'], 'argument --runs: 0 is below 1'),
    (['--runs', 'many'], "argument --runs: 'many' is not an integer"),
    (['--warmup', '-1'], 'argument --warmup: -1 is below 0'),
    (['--device', 'cuda'], 'no CUDA device is available'),
    (['--options', 'fp32', 'bn_fold+turbo'],
     "invalid inference option 'bn_fold+turbo'"),
    (['--options', 'onnxruntime+bn_fold'],
     "invalid inference option 'onnxruntime+bn_fold'"),
    (['--options', 'bf16+fp16'], "invalid inference option 'bf16+fp16'"),
    (['--heads', 'eseg', '--variants', 'jpu-1x1'],
     'none of --variants is a model of --heads'),
])
def test_bad_arguments_get_a_one_line_error(arguments, message):
    result = _benchmark(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        'benchmark.py: error:')


@pytest.mark.slow
def test_help_shows_each_option_and_its_default():
    result = _benchmark('--help')
    assert result.returncode == 0
    text = ' '.join(result.stdout.split())
    for option, default in (('--runs', '10'), ('--warmup', '2'),
                            ('--train-runs', '3'), ('--batch', '1')):
        assert option in text and f'(default: {default})' in text


def test_bf16_autocast_stays_close_to_fp32():
    model = build_segmentor(TINY_PASCAL_CONTEXT_CONFIG, None,
                            torch.device('cpu'))[1]
    inputs = image_inputs(model, DEMO_IMAGE, 2, (64, 64))
    calibrate_batchnorm(model, inputs)
    logits = SegmentationLogits(model)
    with torch.no_grad():
        reference = logits(inputs)
    output = prepare(logits, 'bf16', torch.device('cpu'))(inputs)
    assert output.dtype == torch.float32
    assert output.shape == reference.shape == (2, 59, 64, 64)
    relative = (output - reference).abs().max() / reference.abs().max()
    assert 0 < relative < 0.1


def test_photograph_input_is_normalised_by_the_data_preprocessor():
    model = build_segmentor(TINY_PASCAL_CONTEXT_CONFIG, None,
                            torch.device('cpu'))[1]
    inputs = image_inputs(model, DEMO_IMAGE, 1, (48, 80))
    assert inputs.shape == (1, 3, 48, 80) and inputs.dtype == torch.float32
    assert -3 < inputs.mean() < 3 and 0.2 < inputs.std() < 3
    assert inputs[0, 0].mean() != inputs[0, 2].mean()  # colour, not gray


def test_options_name_their_dtype():
    assert compute_dtype('openvino_bf16') == 'bfloat16'
    assert compute_dtype('onnxruntime') == 'float32'
    assert compute_dtype('bn_fold+fp16') == 'float16'


@pytest.mark.slow
@pytest.mark.parametrize('mode', ['inference', 'training'])
def test_peak_memory_grows_with_the_batch(mode):
    small, large = (
        measure_in_subprocess(TINY_PASCAL_CONTEXT_CONFIG, None, mode,
                              (96, 96), batch, torch.device('cpu'),
                              threads=1) for batch in (1, 8))
    assert 0 < small < large


def _record(variant, option, fps, dtype='float32', diff=1e-6, agreement=1.0,
            baseline=None, speedup=None):
    return dict(model='enc-r101', head='enc', depth=101, variant=variant,
                option=option, fps=fps, dtype=dtype, max_rel_diff=diff,
                image_max_rel_diff=diff, image_argmax_agreement=agreement,
                baseline=baseline, speedup=speedup, latency_ms_median=1 / fps)


def test_targets_report_what_was_met_and_what_not():
    records = [
        _record('jpu-1x1', 'fp32', 1.0, baseline='dilated-matmul'),
        _record('jpu-1x1', 'onnxruntime', 1.6, baseline='dilated-matmul',
                speedup=2.6),
        _record('jpu-1x1', 'openvino', 2.0, diff=1e-3,  # not exact
                baseline='dilated-matmul', speedup=3.0),
        _record('jpu-1x1', 'openvino_bf16', 6.0, 'bfloat16', 1e-2, 0.99,
                baseline='dilated-matmul'),
        _record('jpu', 'fp32', 1.0, baseline='dilated'),
        _record(PEER, 'fp32', 1.25, baseline='dilated'),
    ]
    lines = targets(records, dict(cpu_flags=['avx512_bf16']))
    assert lines[0].startswith('enc-r101 jpu-1x1, best exact option '
                               '(onnxruntime')
    assert lines[0].endswith('1.60x over fp32 eager (target >= 1.5x): met')
    assert 'openvino_bf16' in lines[1] and '99.00% argmax' in lines[1]
    assert lines[1].endswith('NOT met')  # agreement below 99.5%
    assert 'under onnxruntime: 2.60x' in lines[2] and lines[2].endswith('met')
    assert lines[3].startswith('enc-r101 jpu-1x1 openvino_int8 over the best')
    assert lines[3].endswith('not measured (it needs this model, '
                             'openvino_int8 and onnxruntime or openvino)')
    assert lines[4].endswith('slower for enc-r101 fp32 (0.80x)')
    without_bf16 = targets(records, dict(cpu_flags=[]))
    assert without_bf16[1].endswith('reported only')


def test_int8_targets_against_the_best_fp32_runtime_and_eager():
    records = [
        _record('jpu-1x1', 'fp32', 1.0, baseline='dilated-matmul'),
        _record('jpu-1x1', 'onnxruntime', 1.5, baseline='dilated-matmul',
                speedup=2.0),
        _record('jpu-1x1', 'openvino', 2.0, baseline='dilated-matmul',
                speedup=2.2),
        _record('jpu-1x1', 'openvino_int8', 5.0, 'int8', 0.05, 0.98,
                baseline='dilated-matmul', speedup=1.8),
    ]
    vnni = targets(records, dict(cpu_flags=['avx512f', 'avx512_vnni']))
    int8 = [line for line in vnni if 'openvino_int8' in line]
    assert int8 == [
        'enc-r101 jpu-1x1 openvino_int8: 2.50x over the best fp32 runtime '
        '(openvino) and 5.00x over fp32 eager (target >= 2.5x and >= 4.0x; '
        'this CPU has VNNI or AMX (avx512_vnni)): met',
        'enc-r101 like for like (dilated-matmul / jpu-1x1) under '
        'openvino_int8: 1.80x (target >= 1.9x): NOT met']
    without_vnni = targets(records, dict(cpu_flags=[]))
    assert 'no VNNI or AMX' in without_vnni[-2]
    assert without_vnni[-2].endswith('reported only')
    assert targets([], {})[0].endswith('not measured (it needs this model, '
                                       'openvino_int8 and onnxruntime or '
                                       'openvino)')


def test_int8_calibrates_on_the_photograph_and_the_tiny_images():
    images = calibration_images()
    assert images[0] == DEMO_IMAGE and len(images) > 8
    assert all(path.is_file() for path in images)
    assert not any('gtFine' in str(path) or 'annotations' in str(path)
                   for path in images)


def test_suite_pairs_every_model_with_an_existing_baseline():
    entries = select()
    for entry in entries:
        assert entry.config.is_file(), entry.config
        if entry.baseline:
            assert any(e.model == entry.model and e.variant == entry.baseline
                       for e in entries), entry
    heads = {e.model: e.head for e in entries}
    assert set(heads.values()) == {'enc', 'psp', 'aspp', 'eseg'}
    peers = {e.model for e in entries if e.variant == PEER}
    assert peers == {f'{h}-r{d}' for h in ('enc', 'psp', 'aspp')
                     for d in (50, 101)}


def test_like_for_like_dilated_encnet_is_the_matmul_head():
    entry = next(e for e in select(('enc', ), (50, ), ['jpu-1x1'])
                 if e.variant == 'dilated-matmul')
    cfg, model = build_segmentor(entry.config, entry.overrides,
                                 torch.device('cpu'))
    assert cfg.model.decode_head.type == 'FastFCNEncHead'
    assert type(model.decode_head).__name__ == 'FastFCNEncHead'
    assert model.decode_head.bottleneck.conv.kernel_size == (3, 3)
    assert cfg.model.backbone.type == 'ResNetV1c'  # still dilated


def _parse_args(monkeypatch, *arguments):
    tool = runpy.run_path(str(BENCHMARK), run_name='benchmark')
    monkeypatch.setattr(sys, 'argv', ['benchmark.py', *arguments])
    return tool['parse_args']()


def test_options_this_cpu_cannot_run_are_skipped_with_a_note(monkeypatch):
    monkeypatch.setattr(inference_options, 'openvino_runs_bf16',
                        lambda: False)
    args = _parse_args(monkeypatch)  # the defaults
    assert list(args.skipped) == ['openvino_bf16']
    assert 'AVX-512 BF16 or AMX' in args.skipped['openvino_bf16']
    assert args.options == ['fp32', 'bn_fold+channels_last', 'bf16',
                            'onnxruntime', 'openvino', 'openvino_int8']
    environment = dict(device='cpu', cpu_model='x', cpu_flags=[],
                       torch_version='2', runtime_versions={}, threads=1,
                       input_size=[8, 8], batch=1, train_crop=[8, 8],
                       train_batch=1, skipped_options=args.skipped)
    record = dict(_record('jpu-1x1', 'fp32', 1.0), gflops=1.0,
                  gflops_ratio=None, params_m=1.0, latency_ms_min=1.0,
                  latency_ms_max=1.0, backbone_ms=1.0, neck_ms=1.0,
                  head_ms=1.0)
    report = markdown([record], ['fp32'], environment)
    notes = [line for line in report.splitlines() if 'openvino_bf16' in line]
    assert len(notes) == 1 and notes[0].startswith('Skipped openvino_bf16')
    assert 'AVX-512 BF16 or AMX' in notes[0]


def test_missing_runtime_packages_skip_their_options(monkeypatch):
    def missing(name):
        raise ModuleNotFoundError(f'{name} is not installed; install ...')

    monkeypatch.setattr(inference_options, 'import_deploy_package', missing)
    args = _parse_args(monkeypatch, '--options', 'onnxruntime', 'bn_fold')
    assert args.options == ['fp32', 'bn_fold']
    assert args.skipped == {
        'onnxruntime': 'onnxruntime is not installed; install ...'}


def test_int8_is_skipped_without_nncf(monkeypatch):
    def without_nncf(name):
        if name == 'nncf':
            raise ModuleNotFoundError('nncf is not installed; install ...')

    monkeypatch.setattr(inference_options, 'import_deploy_package',
                        without_nncf)
    args = _parse_args(monkeypatch, '--options', 'openvino', 'openvino_int8')
    assert args.options == ['fp32', 'openvino']
    assert args.skipped == {
        'openvino_int8': 'nncf is not installed; install ...'}
