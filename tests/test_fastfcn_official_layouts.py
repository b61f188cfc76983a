# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""DeepLabV3+JPU and JPU_X checkpoints in the official layout (no recorded
outputs exist for them): the converter maps every key, and the converted
modules compute what the official modules compute, checked against a
plain-PyTorch transcription of the official forward passes."""
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mmseg.apis import init_model
from mmseg_jpu.tools.fastfcn_converter import convert
from .fastfcn_official_weights import official_state_dict

# golden parity with the official code on full-size ResNet-50 models
pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / 'data' / 'fastfcn_golden'
PSP_CASE = 'psp_jpu_r50_pcontext'


def _psp_official():
    meta = json.loads((GOLDEN / f'{PSP_CASE}.json').read_text())
    return official_state_dict(GOLDEN / f'{PSP_CASE}.manifest.json',
                               meta['seed'])


def _conv(state, key, shape):
    state[key] = torch.randn(shape) * (2 / (shape[1] * shape[2] *
                                            shape[3]))**0.5


def _bn(state, prefix, channels):
    state[f'{prefix}.weight'] = torch.rand(channels) + 0.5
    state[f'{prefix}.bias'] = torch.randn(channels) * 0.1
    state[f'{prefix}.running_mean'] = torch.randn(channels) * 0.1
    state[f'{prefix}.running_var'] = torch.rand(channels) + 0.5
    state[f'{prefix}.num_batches_tracked'] = torch.tensor(0)


def _gn(state, prefix, channels):
    state[f'{prefix}.weight'] = torch.rand(channels) + 0.5
    state[f'{prefix}.bias'] = torch.randn(channels) * 0.1


def _conv_bn_relu(state, prefix, x, padding=0, dilation=1):
    x = F.conv2d(x, state[f'{prefix}.0.weight'], padding=padding,
                 dilation=dilation)
    return F.relu(_apply_bn(state, f'{prefix}.1', x))


def _apply_bn(state, prefix, x):
    return F.batch_norm(x, state[f'{prefix}.running_mean'],
                        state[f'{prefix}.running_var'],
                        state[f'{prefix}.weight'], state[f'{prefix}.bias'])


def _up(x, size):
    return F.interpolate(x, size=size, mode='bilinear', align_corners=True)


def _convert(state, tmp_path):
    torch.save(dict(state_dict=state), tmp_path / 'official.pth')
    arch = convert(tmp_path / 'official.pth', tmp_path / 'mmseg.pth',
                   tmp_path / 'cfg.py')
    model = init_model(
        str(tmp_path / 'cfg.py'), str(tmp_path / 'mmseg.pth'), 'cpu')
    return arch, model


def _official_deeplabv3_head(classes=59):
    """Keys of the official DeepLabV3Head (2048 -> 256, rates 12/24/36)."""
    state = {}
    _conv(state, 'head.aspp.b0.0.weight', (256, 2048, 1, 1))
    _bn(state, 'head.aspp.b0.1', 256)
    for branch in (1, 2, 3):
        _conv(state, f'head.aspp.b{branch}.0.weight', (256, 2048, 3, 3))
        _bn(state, f'head.aspp.b{branch}.1', 256)
    _conv(state, 'head.aspp.b4.gap.1.weight', (256, 2048, 1, 1))
    _bn(state, 'head.aspp.b4.gap.2', 256)
    _conv(state, 'head.aspp.project.0.weight', (256, 1280, 1, 1))
    _bn(state, 'head.aspp.project.1', 256)
    _conv(state, 'head.block.0.weight', (256, 256, 3, 3))
    _bn(state, 'head.block.1', 256)
    _conv(state, 'head.block.4.weight', (classes, 256, 1, 1))
    state['head.block.4.bias'] = torch.randn(classes) * 0.1
    return state


def _official_deeplabv3_forward(state, x):
    branches = [_conv_bn_relu(state, 'head.aspp.b0', x)]
    for branch, rate in zip((1, 2, 3), (12, 24, 36)):
        branches.append(
            _conv_bn_relu(state, f'head.aspp.b{branch}', x, rate, rate))
    pooled = F.adaptive_avg_pool2d(x, 1)
    pooled = F.conv2d(pooled, state['head.aspp.b4.gap.1.weight'])
    pooled = F.relu(_apply_bn(state, 'head.aspp.b4.gap.2', pooled))
    branches.append(_up(pooled, x.shape[2:]))  # pooling branch last
    x = _conv_bn_relu(state, 'head.aspp.project', torch.cat(branches, 1))
    x = _conv_bn_relu(state, 'head.block', x, padding=1)
    return F.conv2d(x, state['head.block.4.weight'], state['head.block.4.bias'])


def test_deeplabv3_jpu_checkpoint(tmp_path):
    torch.manual_seed(0)
    state = {
        k: v
        for k, v in _psp_official().items() if not k.startswith('head.')
    }
    state.update(_official_deeplabv3_head())
    arch, model = _convert(state, tmp_path)
    assert (arch.head, arch.neck, arch.num_classes) == ('deeplabv3', 'jpu',
                                                        59)
    feat = torch.randn(1, 2048, 12, 16)
    with torch.no_grad():
        ours = model.decode_head.forward([None, None, None, feat])
    reference = _official_deeplabv3_forward(state, feat)
    torch.testing.assert_close(ours, reference, atol=1e-4, rtol=1e-4)


def _official_jum(state, prefix, low, high, width):
    _conv(state, f'{prefix}.conv_l.0.weight', (width, low, 3, 3))
    _bn(state, f'{prefix}.conv_l.1', width)
    _conv(state, f'{prefix}.conv_h.0.weight', (width, high, 3, 3))
    _bn(state, f'{prefix}.conv_h.1', width)
    for k in (1, 2, 3):
        _conv(state, f'{prefix}.dilation{k}.0.conv1.weight',
              (2 * width, 1, 3, 3))
        _gn(state, f'{prefix}.dilation{k}.0.bn', 2 * width)
        _conv(state, f'{prefix}.dilation{k}.0.pointwise.weight',
              (width, 2 * width, 1, 1))
        _gn(state, f'{prefix}.dilation{k}.1', width)


def _official_jum_forward(state, prefix, x_low, x_high, rate):
    low = _conv_bn_relu(state, f'{prefix}.conv_l', x_low, padding=1)
    high = _conv_bn_relu(state, f'{prefix}.conv_h', x_high, padding=1)
    low = _up(low, high.shape[2:])
    feat = torch.cat([low, high], 1)
    outs = [low]
    for k, dilation in zip((1, 2, 3), (rate, 2 * rate, 4 * rate)):
        y = F.conv2d(
            feat,
            state[f'{prefix}.dilation{k}.0.conv1.weight'],
            padding=dilation,
            dilation=dilation,
            groups=feat.shape[1])
        y = F.group_norm(y, 32, state[f'{prefix}.dilation{k}.0.bn.weight'],
                         state[f'{prefix}.dilation{k}.0.bn.bias'])
        y = F.conv2d(y, state[f'{prefix}.dilation{k}.0.pointwise.weight'])
        y = F.group_norm(y, 32, state[f'{prefix}.dilation{k}.1.weight'],
                         state[f'{prefix}.dilation{k}.1.bias'])
        outs.append(F.relu(y))
    return torch.cat(outs, 1)


def test_jpu_x_checkpoint(tmp_path):
    torch.manual_seed(0)
    state = {
        k: v
        for k, v in _psp_official().items() if not k.startswith('jpu.')
    }
    _official_jum(state, 'jpu.jum_1', 1024, 512, 256)
    _official_jum(state, 'jpu.jum_2', 2048, 1024, 512)
    arch, model = _convert(state, tmp_path)
    assert (arch.head, arch.neck) == ('psp', 'jpu_x')
    c2, c3, c4 = (torch.randn(1, 512, 12, 16), torch.randn(1, 1024, 6, 8),
                  torch.randn(1, 2048, 3, 4))
    with torch.no_grad():
        ours = model.neck([c2, c3, c4])[-1]
    reference = _official_jum_forward(state, 'jpu.jum_1', c3, c2, 1)
    reference = _official_jum_forward(state, 'jpu.jum_2', c4, reference, 2)
    torch.testing.assert_close(ours, reference, atol=1e-4, rtol=1e-4)
