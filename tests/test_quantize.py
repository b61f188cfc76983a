# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""int8 quantisation (tools/quantize.py) and evaluation of exported models
(tools/test_deployed.py) on the quickstart model briefly trained: the fp32
ONNX file scores mmseg's tools/test.py mIoU, the int8 IR keeps the class
names and most pixels' classes, and every refusal is one line; graphs that
end in probabilities or labels (tools/export_onnx.py --output) segment as
the logits graph does."""
import platform
import re
import runpy
import shutil
import sys

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.apis import inference_model
from mmseg_jpu.deploy import ExportedSegmentor, export_segmentor
from mmseg_jpu.deploy.exported_segmentor import as_logits
from mmseg_jpu.deploy.inference_network import final_output
from mmseg_jpu.deploy.onnx_export import compare, read_metadata
from mmseg_jpu.deploy.quantization import MIN_IMAGES, int8_instructions
from mmseg_jpu.deploy.runtimes import backend_for
from mmseg_jpu.utils.cpu_info import cpu_model_and_flags
from .conftest import (REPO_ROOT, TINY_ADE20K_CONFIG,
                       TINY_PASCAL_CONTEXT_CONFIG, mmseg_test_tool,
                       read_test_metrics, run_python, tiny_run_config)

TOOLS = REPO_ROOT / 'tools'
IMAGES = REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010' / 'JPEGImages'
VAL_IMAGES = sorted(IMAGES.glob('tiny_val_*.jpg'))


def _tool_here(monkeypatch, tool, *args):
    """Run ``tools/<tool>`` in this process; its exit code (0 when it ends
    normally)."""
    monkeypatch.setattr(sys, 'argv', [tool, *map(str, args)])
    try:
        runpy.run_path(str(TOOLS / tool), run_name='__main__')
    except SystemExit as exit_:
        return exit_.code
    return 0


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    """The quickstart model trained for 20 iterations (mIoU above 0), its
    fp32 ONNX files ending in logits, probabilities and labels, and the
    int8 IR of tools/quantize.py calibrated on the 8 training images."""
    folder = tmp_path_factory.mktemp('quantize')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Runner.from_cfg(tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG,
                                        folder / 'train', 20)).train()
    finally:
        torch.set_num_threads(threads)
    checkpoint = folder / 'train' / 'iter_20.pth'
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    files = dict(checkpoint=checkpoint, folder=folder)
    for output in ('logits', 'probabilities', 'labels'):
        files[output] = export_segmentor(cfg, checkpoint,
                                         folder / f'{output}.onnx',
                                         output=output).path
    files['int8'] = folder / 'int8.xml'
    result = run_python(TOOLS / 'quantize.py', TINY_PASCAL_CONTEXT_CONFIG,
                        files['logits'], files['int8'])
    assert result.returncode == 0, result.stderr[-2000:]
    files['quantize_stdout'] = result.stdout
    return files


def _masks(model, backend='onnxruntime'):
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    cfg.test_pipeline = cfg.test_dataloader.dataset.pipeline
    segmentor = ExportedSegmentor(cfg, model, backend)
    return [inference_model(segmentor, str(image)).pred_sem_seg.data[0]
            for image in VAL_IMAGES]


def _agreement(masks, reference):
    same = sum(int((m == r).sum()) for m, r in zip(masks, reference))
    return same / sum(r.numel() for r in reference)


@pytest.mark.slow
def test_quantize_summarises_and_keeps_the_class_names(models):
    out = models['quantize_stdout']
    assert ('calibrated on 8 images of the train split of '
            'PascalContextDataset59 (all it has, fewer than --num-images '
            '300): 8 network inputs (whole images)') in out
    assert f'wrote {models["int8"]} and int8.bin' in out
    assert 'int8 instructions' in out or 'runs, but slowly' in out
    metadata = read_metadata(models['int8'])
    assert 'aeroplane' in metadata['dataset_meta']
    assert metadata['output'] == 'logits'


@pytest.mark.slow
def test_int8_masks_agree_with_fp32_on_most_pixels(models):
    fp32 = _masks(models['logits'])
    int8 = _masks(models['int8'], 'openvino')
    assert len(torch.cat([m.flatten() for m in fp32]).unique()) > 1
    # measured 0.97-0.99 for the trained quickstart model (issue 20)
    assert _agreement(int8, fp32) > 0.9


@pytest.mark.slow
def test_probabilities_and_labels_graphs_segment_as_logits(models):
    logits = _masks(models['logits'])
    assert _agreement(_masks(models['probabilities']), logits) > 0.9999
    # labels resized by a vote of neighbours: boundary pixels may differ
    assert _agreement(_masks(models['labels']), logits) > 0.97


@pytest.mark.slow
def test_infer_runs_the_int8_model(models, tmp_path):
    result = run_python(TOOLS / 'infer.py', VAL_IMAGES[0],
                        TINY_PASCAL_CONTEXT_CONFIG, models['int8'], '--out',
                        tmp_path / 'mask.png')
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / 'mask_overlay.png').is_file()
    assert '(label ' in result.stdout


@pytest.mark.slow
def test_fp32_test_deployed_scores_mmseg_test_miou(models, tmp_path):
    expected = mmseg_test_tool(TINY_PASCAL_CONTEXT_CONFIG,
                               models['checkpoint'], tmp_path / 'mmseg')
    result = run_python(TOOLS / 'test_deployed.py',
                        TINY_PASCAL_CONTEXT_CONFIG, models['logits'],
                        '--work-dir', tmp_path / 'onnx')
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r'\|\s+Class\s+\|\s+IoU\s+\|\s+Acc\s+\|',
                     result.stdout)
    metrics = read_test_metrics(tmp_path / 'onnx')
    assert expected['mIoU'] > 0
    assert abs(metrics['mIoU'] - expected['mIoU']) <= 0.05


@pytest.mark.slow
def test_int8_test_deployed_writes_metrics(models, tmp_path):
    result = run_python(TOOLS / 'test_deployed.py',
                        TINY_PASCAL_CONTEXT_CONFIG, models['int8'],
                        '--work-dir', tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 0 <= read_test_metrics(tmp_path)['mIoU'] <= 100


@pytest.mark.slow
def test_quantize_refuses_a_missing_dataset(models, tmp_path):
    result = run_python(TOOLS / 'quantize.py', TINY_PASCAL_CONTEXT_CONFIG,
                        models['logits'], tmp_path / 'q.xml',
                        '--cfg-options',
                        f'train_dataloader.dataset.data_root={tmp_path}/no')
    assert result.returncode == 1
    assert 'PascalContextDataset59' in result.stderr
    assert 'docs/datasets.md' in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.slow
def test_quantize_refuses_too_few_images(models, tmp_path):
    photos = tmp_path / 'photos'
    photos.mkdir()
    for image in VAL_IMAGES[:MIN_IMAGES - 1]:
        shutil.copy(image, photos)
    result = run_python(TOOLS / 'quantize.py', TINY_PASCAL_CONTEXT_CONFIG,
                        models['logits'], tmp_path / 'q.xml', '--images',
                        photos)
    assert result.returncode == 1
    assert (f'has {MIN_IMAGES - 1} image(s); calibration needs at least '
            f'{MIN_IMAGES} images') in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.slow
def test_quantize_calibrates_on_a_folder_of_photographs(models, tmp_path):
    result = run_python(TOOLS / 'quantize.py', TINY_PASCAL_CONTEXT_CONFIG,
                        models['logits'], tmp_path / 'q.xml', '--images',
                        IMAGES, '--num-images', '5')
    assert result.returncode == 0, result.stderr[-2000:]
    assert f'5 images of the folder {IMAGES}:' in result.stdout
    assert (tmp_path / 'q.bin').is_file()


@pytest.mark.slow
@pytest.mark.parametrize('tool', ['quantize.py', 'test_deployed.py'])
def test_a_model_of_another_config_is_refused(models, tmp_path, tool):
    """The Pascal Context model (59 classes) with the ADE20K config (150
    classes)."""
    last = (tmp_path / 'q.xml' if tool == 'quantize.py' else
            f'--work-dir={tmp_path}')
    result = run_python(TOOLS / tool, TINY_ADE20K_CONFIG, models['logits'],
                        last)
    assert result.returncode == 1
    assert 'is not an export of this config' in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.parametrize('arguments, message', [
    (['model.onnx', 'out.xml', '--num-images', '2'],
     '--num-images 2: calibration needs at least'),
    (['model.onnx', 'out.xml', '--images', '.', '--split', 'val'],
     'not allowed with'),
    (['model.onnx', 'out.onnx'], 'give a .xml file'),
    (['model.xml', 'out.xml'], 'MODEL must be an .onnx file'),
])
def test_quantize_refuses_bad_arguments(monkeypatch, tmp_path, capsys,
                                        arguments, message):
    monkeypatch.chdir(tmp_path)
    for name in ('model.onnx', 'model.xml'):
        (tmp_path / name).touch()
    code = _tool_here(monkeypatch, 'quantize.py', TINY_PASCAL_CONTEXT_CONFIG,
                      *arguments)
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize('tool', ['test_deployed.py', 'infer.py'])
def test_an_ir_with_onnxruntime_is_refused(monkeypatch, tmp_path, capsys,
                                           tool):
    (tmp_path / 'int8.xml').touch()
    arguments = [TINY_PASCAL_CONTEXT_CONFIG, tmp_path / 'int8.xml']
    if tool == 'infer.py':
        arguments = [VAL_IMAGES[0], *arguments, '--out', tmp_path / 'm.png']
    code = _tool_here(monkeypatch, tool, *arguments, '--backend',
                      'onnxruntime')
    assert code == 2
    assert 'is an OpenVINO IR, which only --backend openvino reads' in (
        capsys.readouterr().err)


def test_backend_follows_the_file():
    assert backend_for('m.xml') == 'openvino'
    assert backend_for('m.onnx') == 'onnxruntime'
    assert backend_for('m.onnx', 'openvino') == 'openvino'


CPUINFO = ('processor\t: {0}\nmodel name\t: Xeon {0}\nflags\t\t: {1}\n'
           'bugs\t\t: spectre\n')


@pytest.mark.parametrize('flags, found', [
    ('fpu sse avx512f avx512_vnni', ['avx512_vnni']),
    ('fpu avx_vnni amx_int8 amx_bf16', ['avx_vnni', 'amx_int8']),
    ('fpu sse avx2', []),
])
def test_int8_instructions_are_read_from_the_cpu(tmp_path, flags, found):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text(CPUINFO.format(0, flags) + '\n' +
                       CPUINFO.format(1, 'other'))
    model, cpu_flags = cpu_model_and_flags(cpuinfo)
    assert model == 'Xeon 0' and cpu_flags == flags.split()
    assert int8_instructions(cpu_flags) == found


def test_an_unreadable_cpuinfo_gives_the_machine_and_no_flags(tmp_path):
    model, flags = cpu_model_and_flags(tmp_path / 'missing')
    assert model == platform.machine() and flags == []


def test_outputs_read_back_as_mmseg_postprocessing_expects():
    logits = torch.randn(2, 5, 6, 7)
    probabilities = final_output(logits, 'probabilities', None)
    torch.testing.assert_close(probabilities.sum(1), torch.ones(2, 6, 7))
    labels = final_output(logits, 'labels', None)
    assert labels.shape == (2, 1, 6, 7) and labels.dtype == torch.int64
    one_hot = as_logits(labels, 'labels', 5)
    assert torch.equal(one_hot.argmax(1), logits.argmax(1))
    assert torch.equal(as_logits(probabilities, 'probabilities', 5),
                       probabilities)
    # a one-class head: mmseg's sigmoid and threshold read them back
    single = torch.randn(1, 1, 4, 4)
    for kind in ('probabilities', 'labels'):
        back = as_logits(final_output(single, kind, 0.3), kind, 1)
        assert torch.equal(back.sigmoid() > 0.3, single.sigmoid() > 0.3)


def test_labels_are_compared_by_the_share_of_equal_pixels():
    reference = np.zeros((1, 1, 10, 10), np.int64)
    output = reference.copy()
    output[0, 0, 0, :5] = 3
    figures = compare(output, reference, 'labels')
    assert figures['argmax_agreement'] == 0.95
    assert figures['max_rel_diff'] == pytest.approx(0.05)


def test_ir_metadata_of_earlier_versions_is_read(tmp_path):
    """IRs quantised by earlier versions hold the metadata in an
    ``mmseg_jpu`` rt_info section; it is still read."""
    onnx = pytest.importorskip('onnx')
    ov = pytest.importorskip('openvino')
    value = onnx.helper.make_tensor_value_info('x', onnx.TensorProto.FLOAT,
                                               [1, 3, 4, 4])
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node('Relu', ['x'], ['y'])], 'relu', [value],
        [onnx.helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT,
                                            [1, 3, 4, 4])])
    onnx.save(onnx.helper.make_model(graph), str(tmp_path / 'relu.onnx'))
    model = ov.convert_model(str(tmp_path / 'relu.onnx'))
    model.set_rt_info('logits', ['mmseg_jpu', 'output'])
    ov.save_model(model, str(tmp_path / 'old.xml'))
    assert read_metadata(tmp_path / 'old.xml') == {'output': 'logits'}
