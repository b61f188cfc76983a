# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""ONNX export: every model family exports with dynamic sizes and matches
PyTorch at another size in ONNX Runtime; networks that cannot be dynamic
fall back to a fixed size and say why; a file that does not match is an
error and is not written; the command line refuses bad arguments."""
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from .conftest import REPO_ROOT, TINY_ADE20K_CONFIG, run_python
from mmseg_jpu.deploy import (ExportError, SegmentationLogits, export_onnx,
                              load_runtime, load_segmentor)
from mmseg_jpu.deploy.adaptive_pooling import ExportableAdaptiveAvgPool2d
from mmseg_jpu.utils.package_files import config_file

EXPORT_TOOL = REPO_ROOT / 'tools' / 'export_onnx.py'
ZOO = '_4xb4-25k_pascal-context-59-480x480.py'
#: one config of each model family, with the overrides that make it
FAMILIES = {
    'jpu-enc': (f'fastfcn_jpu/fastfcn_r50-d32_jpu_enc{ZOO}', {}),
    'jpu-enc-1x1': (f'fastfcn_jpu/fastfcn_r50-d32_jpu_enc-1x1{ZOO}', {}),
    'jpu-psp': (f'fastfcn_jpu/fastfcn_r50-d32_jpu_psp{ZOO}', {}),
    'jpu-aspp': (f'fastfcn_jpu/fastfcn_r50-d32_jpu_aspp{ZOO}', {}),
    'jpu-aspp-256': (f'fastfcn_jpu/fastfcn_r50-d32_jpu_aspp-256{ZOO}', {}),
    'jpu_x-enc': (f'fastfcn_jpu/fastfcn_r50-d32_jpu_enc{ZOO}', {
        'model.neck': dict(_delete_=True, type='JointPyramidUpsamplingX',
                           in_channels=(512, 1024, 2048))}),
    'ksac': (f'ksac/ksac_r50-d32_jpu{ZOO}', {}),
    'bifpn-segformer': (f'eseg/eseg_r50-d32_bifpn{ZOO}', {}),
    'official-enc': (
        f'fastfcn_official/fastfcn-official_r50-d32_jpu_enc{ZOO}', {}),
    'dilated-enc': (f'dilated_baselines/encnet_r50-d8{ZOO}', {}),
    'dilated-psp': (f'dilated_baselines/pspnet_r50-d8{ZOO}', {}),
    'dilated-aspp': (f'dilated_baselines/deeplabv3_r50-d8{ZOO}', {}),
}


def _tiny_psp():
    """ResNet-18 + narrow JPU + PSPHead: PSPHead's 2x2/3x3/6x6 adaptive
    pooling is the operator that needs the exportable rewrite."""
    return SegmentationLogits(load_segmentor(TINY_ADE20K_CONFIG))


def _run(path, inputs):
    return load_runtime(path, 'onnxruntime')(inputs.numpy())


def _relative(output, reference):
    reference = reference.numpy()
    return np.abs(output - reference).max() / np.abs(reference).max()


@pytest.mark.parametrize('size', [(1, 1), (2, 3), (7, 9), (13, 5), (24, 31)])
def test_exportable_adaptive_pooling_equals_torch(size):
    x = torch.randn(2, 4, *size)
    for bins in (1, 2, 3, 6, (2, 5)):
        expected = nn.AdaptiveAvgPool2d(bins)(x)
        torch.testing.assert_close(
            ExportableAdaptiveAvgPool2d(bins)(x), expected)


@pytest.mark.slow
def test_tiny_model_exports_with_dynamic_size_and_matches_pytorch(tmp_path):
    """The classic stack's smoke test of the export path."""
    network = _tiny_psp()
    result = export_onnx(network, tmp_path / 'psp.onnx', (64, 64))
    assert result.dynamic and result.fixed_size_reason is None
    assert result.checked_size != result.traced_size
    assert result.max_rel_diff < 1e-4 and result.argmax_agreement > 0.99
    inputs = torch.randn(2, 3, 40, 72)  # another batch and size again
    with torch.no_grad():
        reference = network(inputs)
    output = _run(result.path, inputs)
    assert output.shape == (2, 150, 40, 72)
    assert _relative(output, reference) < 1e-4


@pytest.mark.slow
@pytest.mark.parametrize('family', list(FAMILIES))
def test_every_model_family_exports_dynamic_and_matches(family, tmp_path):
    name, overrides = FAMILIES[family]
    cfg = Config.fromfile(str(config_file(name)))
    cfg.merge_from_dict(overrides)
    result = export_onnx(SegmentationLogits(load_segmentor(cfg)),
                         tmp_path / 'model.onnx', (64, 64))
    assert result.dynamic, result.fixed_size_reason
    assert result.max_rel_diff < 1e-4
    assert result.argmax_agreement > 0.99


@pytest.mark.slow
def test_jpuified_mmseg_config_exports(tmp_path):
    from mmseg_jpu.tools.jpuify import jpuify
    config = tmp_path / 'pspnet_jpu.py'
    jpuify('mmseg::pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py', config)
    result = export_onnx(SegmentationLogits(load_segmentor(config)),
                         tmp_path / 'model.onnx', (64, 64))
    assert result.dynamic and result.max_rel_diff < 1e-4


class _FrozenSize(nn.Module):
    """Uses the width as a Python number, which tracing records as a
    constant: right at the traced size only."""

    def forward(self, x):
        return x * int(x.shape[-1])


class _Pooling(nn.Module):

    def forward(self, x):
        pooled = nn.functional.adaptive_avg_pool2d(x, 3)
        return nn.functional.interpolate(pooled, size=x.shape[2:])


class _Random(nn.Module):

    def forward(self, x):
        return x + torch.rand_like(x)


def test_a_size_frozen_by_tracing_falls_back_to_a_fixed_size(tmp_path):
    result = export_onnx(_FrozenSize(), tmp_path / 'm.onnx', (8, 12))
    assert not result.dynamic
    assert result.fixed_size_reason.startswith('dynamic export failed')
    assert result.checked_size == (8, 12) and result.max_rel_diff == 0
    with pytest.raises(Exception, match='dimension|shape|Got'):
        _run(result.path, torch.randn(1, 3, 9, 13))  # refused, not wrong


def test_an_operator_without_dynamic_export_falls_back_to_fixed_size(
        tmp_path):
    """torch's exporter refuses adaptive pooling to 3x3 of an unknown size
    (the rewrite only replaces nn.AdaptiveAvgPool2d modules)."""
    result = export_onnx(_Pooling(), tmp_path / 'm.onnx', (12, 12))
    assert not result.dynamic
    assert result.fixed_size_reason.startswith('dynamic export failed')
    assert 'adaptive_avg_pool2d' in result.fixed_size_reason
    assert result.max_rel_diff < 1e-6


def test_a_mismatching_export_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(ExportError, match='differs from PyTorch'):
        export_onnx(_Random(), tmp_path / 'm.onnx', (8, 8))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_command_line_exports_a_checkpoint_and_reports(tmp_path):
    network = _tiny_psp()
    checkpoint = tmp_path / 'psp.pth'
    torch.save(dict(state_dict=network.segmentor.state_dict()), checkpoint)
    result = run_python(EXPORT_TOOL, TINY_ADE20K_CONFIG, checkpoint,
                        tmp_path / 'psp.onnx', '--size', '64', '64')
    assert result.returncode == 0, result.stderr[-2000:]
    assert f'weights of {checkpoint}' in result.stdout
    assert 'dynamic batch, height and width' in result.stdout
    assert 'largest relative logit difference' in result.stdout
    inputs = torch.randn(1, 3, 48, 80)
    with torch.no_grad():
        reference = network(inputs)
    assert _relative(_run(tmp_path / 'psp.onnx', inputs), reference) < 1e-4


@pytest.mark.slow
def test_command_line_refuses_a_checkpoint_of_another_model(tmp_path):
    checkpoint = tmp_path / 'other.pth'
    torch.save(dict(state_dict=dict(weight=torch.zeros(1))), checkpoint)
    result = run_python(EXPORT_TOOL, TINY_ADE20K_CONFIG, checkpoint,
                        tmp_path / 'psp.onnx')
    assert result.returncode == 1
    assert 'does not match the config' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 'psp.onnx').exists()


@pytest.mark.slow
@pytest.mark.parametrize('arguments, message', [
    (['out.txt'], 'argument out: out.txt'),
    (['missing.pth', 'out.onnx'], 'argument checkpoint: missing.pth'),
    (['out.onnx', '--size', '0', '64'], 'argument --size: 0 is below 1'),
    (['out.onnx', '--fixed-size', '--check-size', '8', '8'],
     '--check-size'),
    (['out.onnx', '--size', '64', '64', '--check-size', '64', '64'],
     '--check-size'),
])
def test_command_line_refuses_bad_arguments(arguments, message, tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXPORT_TOOL), str(TINY_ADE20K_CONFIG),
         *arguments], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert 'Traceback' not in result.stderr
    assert list(tmp_path.iterdir()) == []
