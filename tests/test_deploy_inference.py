# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Segmenting with an exported ONNX file gives the masks of the PyTorch
path (``mmseg.apis.inference_model`` on the same config and checkpoint) on
the demo photograph, for whole-image inference (resize with the aspect
ratio, padding to a size divisor) and sliding windows, with ONNX Runtime
and OpenVINO (mmseg's ``inference_model`` running the file through
:class:`ExportedSegmentor`); tools/infer.py runs such a file."""
import copy

import cv2
import mmcv
import pytest
import torch
from mmengine.config import Config

from .conftest import REPO_ROOT, TINY_ADE20K_CONFIG, run_python
from mmseg.apis import inference_model, init_model
from mmseg_jpu.deploy import (ExportedSegmentor, SegmentationLogits,
                              export_onnx, load_segmentor)
from mmseg_jpu.deploy.runtimes import check_backend
from mmseg_jpu.tools.benchmark.segmentor_builder import calibrate_batchnorm
from mmseg_jpu.utils.package_files import DEMO_IMAGE

#: mmseg's test-time settings the two modes are tested with
MODES = {
    'whole': {
        'model.data_preprocessor.test_cfg': dict(size_divisor=32),
    },
    'slide': {
        'model.test_cfg': dict(
            _delete_=True, mode='slide', crop_size=(96, 96), stride=(64, 64)),
    },
}


def _config(mode):
    """The tiny PSPNet + JPU with a Resize to a 160-pixel long side."""
    cfg = Config.fromfile(str(TINY_ADE20K_CONFIG))
    cfg.test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(160, 160), keep_ratio=True),
        dict(type='PackSegInputs')
    ]
    cfg.test_dataloader.dataset.pipeline = copy.deepcopy(cfg.test_pipeline)
    cfg.merge_from_dict(MODES[mode])
    return cfg


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """Per mode: the config, a checkpoint (random weights, BN calibrated on
    the photograph so classes differ across it) and its ONNX file."""
    folder = tmp_path_factory.mktemp('deploy')
    image = torch.from_numpy(mmcv.imread(str(DEMO_IMAGE)).copy())
    crop = ((image.permute(2, 0, 1)[None].float() - 110) / 60)[..., :96, :144]
    inputs = torch.cat([crop, crop.flip(3)])  # BN needs two samples
    files = {}
    for mode in MODES:
        cfg = _config(mode)
        segmentor = load_segmentor(cfg)
        calibrate_batchnorm(segmentor, inputs)
        checkpoint = folder / f'{mode}.pth'
        classes = [f'thing{i}' for i in range(150)]
        torch.save(
            dict(state_dict=segmentor.state_dict(),
                 meta=dict(dataset_meta=dict(
                     classes=classes, palette=[[i, i, i] for i in range(150)]
                 ))), checkpoint)
        result = export_onnx(SegmentationLogits(segmentor),
                             folder / f'{mode}.onnx', (96, 96))
        files[mode] = (cfg, checkpoint, result.path)
    return files


INFER = REPO_ROOT / 'tools' / 'infer.py'
EXPORT_TOOL = REPO_ROOT / 'tools' / 'export_onnx.py'


def _pytorch(cfg, checkpoint):
    model = init_model(cfg, str(checkpoint), device='cpu')
    return inference_model(model, mmcv.imread(str(DEMO_IMAGE)))


def _exported(cfg, onnx_file, *runtime):
    segmentor = ExportedSegmentor(cfg, onnx_file, *runtime)
    return inference_model(segmentor, mmcv.imread(str(DEMO_IMAGE)))


@pytest.mark.slow
@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
@pytest.mark.parametrize('mode', list(MODES))
def test_masks_match_the_pytorch_path(exported, mode, backend):
    cfg, checkpoint, onnx_file = exported[mode]
    expected = _pytorch(cfg, checkpoint)
    result = _exported(cfg, onnx_file, backend)
    logits, reference = result.seg_logits.data, expected.seg_logits.data
    assert logits.shape == reference.shape == (150, 427, 640)
    relative = (logits - reference).abs().max() / reference.abs().max()
    assert relative < 1e-4
    mask = expected.pred_sem_seg.data[0]
    assert len(mask.unique()) > 1  # a real test: several classes
    assert (result.pred_sem_seg.data[0] == mask).float().mean() > 0.9999


@pytest.mark.slow
def test_openvino_bf16_stays_close_to_fp32_or_is_refused(exported):
    """On a CPU with bf16 instructions bf16 runs and stays close; on one
    without, it is refused by name instead of silently running fp32."""
    import openvino
    capabilities = openvino.Core().get_property(
        'CPU', 'OPTIMIZATION_CAPABILITIES')
    cfg, _, onnx_file = exported['slide']
    if 'BF16' not in capabilities:
        with pytest.raises(ValueError, match='cannot run bf16 on this CPU'):
            ExportedSegmentor(cfg, onnx_file, 'openvino', 'bf16')
        return
    exact = _exported(cfg, onnx_file, 'openvino')
    reduced = _exported(cfg, onnx_file, 'openvino', 'bf16')
    difference = reduced.seg_logits.data - exact.seg_logits.data
    relative = difference.abs().max() / exact.seg_logits.data.abs().max()
    assert 0 < relative < 0.1  # bf16 really ran, and stayed close
    same = reduced.pred_sem_seg.data == exact.pred_sem_seg.data
    assert same.float().mean() > 0.8


@pytest.mark.slow
def test_a_fixed_size_file_refuses_other_sizes(tmp_path):
    cfg = _config('whole')
    network = SegmentationLogits(load_segmentor(cfg))
    onnx_file = export_onnx(network, tmp_path / 'm.onnx', (96, 96),
                            fixed_size=True).path
    with pytest.raises(ValueError, match='takes 96x96 inputs only .* the '
                       r'image is 128x160'):
        _exported(cfg, onnx_file)


@pytest.mark.parametrize('backend, precision, message', [
    ('onnxruntime', 'bf16', 'onnxruntime runs fp32 only'),
    ('tensorrt', 'fp32', "unknown backend 'tensorrt'"),
    ('openvino', 'fp8', "precision 'fp8'"),
])
def test_meaningless_backend_precision_is_refused(backend, precision,
                                                  message):
    with pytest.raises(ValueError, match=message):
        check_backend(backend, precision)


@pytest.mark.slow
def test_infer_runs_an_exported_model_like_its_checkpoint(exported, tmp_path):
    cfg, checkpoint, _ = exported['whole']
    config = tmp_path / 'config.py'
    cfg.dump(str(config))
    onnx_file = tmp_path / 'model.onnx'
    export = run_python(EXPORT_TOOL, config, checkpoint, onnx_file, '--size',
                        '96', '96')
    assert export.returncode == 0, export.stderr[-2000:]
    result = run_python(INFER, DEMO_IMAGE, config, onnx_file, '--backend',
                        'openvino', '--out', tmp_path / 'mask.png',
                        '--labels', tmp_path / 'labels.png')
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'thing' in result.stdout  # class names travel in the file
    labels = cv2.imread(str(tmp_path / 'labels.png'), cv2.IMREAD_UNCHANGED)
    expected = _pytorch(cfg, checkpoint).pred_sem_seg.data[0].numpy()
    assert labels.shape == expected.shape == (427, 640)
    assert (labels == expected).mean() > 0.9999


@pytest.mark.slow
@pytest.mark.parametrize('model, arguments, message', [
    ('pth', ['--backend', 'openvino'],
     '--backend applies to .onnx and .xml models'),
    ('onnx', ['--precision', 'bf16'], 'onnxruntime runs fp32 only'),
])
def test_infer_refuses_meaningless_runtime_arguments(exported, tmp_path,
                                                     model, arguments,
                                                     message):
    _, checkpoint, onnx_file = exported['whole']
    result = run_python(INFER, DEMO_IMAGE, TINY_ADE20K_CONFIG,
                        checkpoint if model == 'pth' else onnx_file,
                        '--out', tmp_path / 'mask.png', *arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert 'Traceback' not in result.stderr
    assert list(tmp_path.iterdir()) == []
