# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Official FastFCN checkpoints -> converter -> mmseg model: the outputs
match those recorded by running the official code (tests/data)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmseg.apis import init_model
from mmseg.structures import SegDataSample
from mmseg_jpu.tools.fastfcn_converter import ConversionError, convert
from mmseg_jpu.checkpoint import \
    UntrustedCheckpointError
from .conftest import REPO_ROOT, metrics_in_process, mmseg_test_tool
from .fastfcn_official_weights import official_checkpoint, state_dict_digest

# golden parity with the official code on full-size ResNet-50 models
pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / 'data' / 'fastfcn_golden'
CASES = ['encnet_jpu_r50_pcontext', 'psp_jpu_r50_pcontext']
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def assert_matches(actual, reference):
    tolerance = 1e-4 * (1 + reference.abs().max().item())
    error = (actual - reference).abs().max().item()
    assert error <= tolerance, f'max |error| {error} > {tolerance}'


def official_input(image_rgb):
    """The official normalization: RGB, /255, minus mean, over std."""
    image = image_rgb.permute(2, 0, 1).float().unsqueeze(0) / 255.
    return (image - IMAGENET_MEAN) / IMAGENET_STD


def _case(name):
    meta = json.loads((GOLDEN / f'{name}.json').read_text())
    golden = torch.load(GOLDEN / f'{name}.golden.pt', weights_only=True)
    return meta, golden


def _write_official(name, path):
    meta, _ = _case(name)
    checkpoint = official_checkpoint(GOLDEN / f'{name}.manifest.json',
                                     meta['seed'])
    assert state_dict_digest(
        checkpoint['state_dict']) == meta['state_dict_sha256']
    torch.save(checkpoint, path)
    return checkpoint


def _run_converter(src, dst, config, check=True):
    """Run tools/convert_fastfcn.py as a user does."""
    return subprocess.run([
        sys.executable,
        str(REPO_ROOT / 'tools' / 'convert_fastfcn.py'),
        str(src),
        str(dst), '--config-out',
        str(config)
    ],
                          capture_output=True,
                          text=True,
                          check=check)


@pytest.fixture(scope='module', params=CASES)
def converted(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    _write_official(request.param, folder / 'checkpoint.pth.tar')
    result = _run_converter(folder / 'checkpoint.pth.tar',
                            folder / 'mmseg.pth', folder / 'config.py')
    model = init_model(
        str(folder / 'config.py'), str(folder / 'mmseg.pth'), 'cpu')
    return request.param, model, result.stdout


def test_detects_the_architecture(converted):
    name, model, stdout = converted
    meta, _ = _case(name)
    head = 'enc' if meta['model'] == 'encnet' else 'psp'
    assert f'Detected: {head}+JPU, ResNet-50, 59 classes, aux head' in stdout
    assert model.backbone.stem[6].out_channels == 128


def test_says_how_to_evaluate_as_the_readme_does(converted):
    *_, stdout = converted
    assert re.fullmatch(
        r'Evaluate: \.venv/bin/mim test mmseg (\S+)/config\.py '
        r'--checkpoint \1/mmseg\.pth', stdout.splitlines()[-1])


def test_matches_official_from_normalized_tensor(converted):
    name, model, _ = converted
    _, golden = _case(name)
    image = official_input(golden['img_uint8_rgb'])
    with torch.no_grad():
        feats = model.extract_feat(image)
        head = model.decode_head.forward(feats)
        aux = model.auxiliary_head.forward(feats)
        full = model.encode_decode(
            image, [dict(img_shape=image.shape[2:])])
    assert_matches(feats[-1][:, ::8], golden['jpu_every_8th_channel'])
    if 'out_se' in golden:
        head, se_logits = head
        assert_matches(se_logits, golden['out_se'])
    assert_matches(head, golden['head_main'])
    assert_matches(aux, golden['aux_lowres'])
    official_full = F.interpolate(
        golden['head_main'],
        size=image.shape[2:],
        mode='bilinear',
        align_corners=True)
    assert_matches(full, official_full)


def test_matches_official_from_raw_image(converted):
    """The uint8 image through mmseg's data preprocessor and test step."""
    name, model, _ = converted
    _, golden = _case(name)
    image_rgb = golden['img_uint8_rgb']
    height, width = image_rgb.shape[:2]
    image_bgr = image_rgb.flip(-1).permute(2, 0, 1).contiguous()
    sample = SegDataSample(
        metainfo=dict(
            img_shape=(height, width),
            ori_shape=(height, width),
            pad_shape=(height, width)))
    data = model.data_preprocessor(
        dict(inputs=[image_bgr], data_samples=[sample]), False)
    torch.testing.assert_close(
        data['inputs'], official_input(image_rgb), atol=5e-6, rtol=0)
    with torch.no_grad():
        result = model.test_step(
            dict(inputs=[image_bgr], data_samples=[sample]))[0]
    official_full = F.interpolate(
        golden['head_main'],
        size=(height, width),
        mode='bilinear',
        align_corners=True)
    assert_matches(result.seg_logits.data[None], official_full)
    np.testing.assert_array_equal(result.pred_sem_seg.data[0].numpy(),
                                  official_full[0].argmax(0).numpy())


@pytest.fixture(scope='module')
def official_enc(tmp_path_factory):
    return _write_official(CASES[0],
                           tmp_path_factory.mktemp('enc') / 'ckpt.pth')


def _save(state_dict, path, bare=False):
    torch.save(state_dict if bare else dict(state_dict=state_dict), path)
    return path


def test_bare_state_dict_with_module_prefix(official_enc, tmp_path):
    bare = {f'module.{k}': v for k, v in official_enc['state_dict'].items()}
    arch = convert(
        _save(bare, tmp_path / 'bare.pth', bare=True), tmp_path / 'out.pth',
        tmp_path / 'cfg.py')
    assert (arch.head, arch.neck, arch.depth) == ('enc', 'jpu', 50)


@pytest.mark.parametrize('edit, message', [
    (lambda sd: sd.update({'head.extra.weight': torch.zeros(1)}),
     'keys of no known official FastFCN module: head.extra.weight'),
    (lambda sd: sd.pop('jpu.conv5.1.weight'),
     'missing: neck.conv_layers.2.bn.weight'),
    (lambda sd: sd.update({'jpu.conv3.0.weight': torch.zeros(512, 256, 3, 3)}),
     r'shape mismatch: neck.conv_layers.0.conv.weight \(512, 256, 3, 3\)'),
    (lambda sd: [sd.pop(k) for k in list(sd) if k.startswith('jpu.')],
     'not an official FastFCN checkpoint .* with a JPU neck'),
])
def test_bad_keys_are_listed(official_enc, tmp_path, edit, message):
    state_dict = dict(official_enc['state_dict'])
    edit(state_dict)
    with pytest.raises(ConversionError, match=message):
        convert(
            _save(state_dict, tmp_path / 'bad.pth'), tmp_path / 'out.pth',
            tmp_path / 'cfg.py')
    assert not (tmp_path / 'out.pth').exists()
    assert not (tmp_path / 'cfg.py').exists()


class _Payload:

    def __reduce__(self):
        return (print, ('this must never run', ))


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / 'hostile.pth'
    torch.save({'state_dict': {'x': _Payload()}}, path)
    with pytest.raises(
            UntrustedCheckpointError,
            match='refused: unpickling it would call builtins.print'):
        convert(path, tmp_path / 'out.pth', tmp_path / 'cfg.py')


def test_cli_reports_missing_file(tmp_path):
    result = _run_converter(
        tmp_path / 'nope.pth',
        tmp_path / 'out.pth',
        tmp_path / 'cfg.py',
        check=False)
    assert result.returncode == 2
    assert f'src: {tmp_path / "nope.pth"}: no such file' in result.stderr



def test_mmseg_test_tool_evaluates_the_written_config(tmp_path):
    """tools/test.py CFG DST, on the tiny Pascal Context sample."""
    _write_official(CASES[1], tmp_path / 'official.pth')
    convert(tmp_path / 'official.pth', tmp_path / 'mmseg.pth',
            tmp_path / 'config.py')
    tiny = REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010'
    data = {
        'test_dataloader.dataset.data_root': str(tiny),
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False
    }
    tool = mmseg_test_tool(tmp_path / 'config.py', tmp_path / 'mmseg.pth',
                           tmp_path / 'test', '--cfg-options',
                           *(f'{key}={value}' for key, value in data.items()))
    here = metrics_in_process(tmp_path / 'config.py', tmp_path / 'mmseg.pth',
                              tmp_path / 'here', **data)
    assert tool['mIoU'] == here['mIoU']


def _with_lateral(state_dict):
    """Add the official lateral EncHead branches (connect.0/1, fusion)."""
    state_dict = dict(state_dict)
    shapes = {'head.connect.0': (512, 512, 1, 1),
              'head.connect.1': (512, 1024, 1, 1),
              'head.fusion': (512, 1536, 3, 3)}
    for prefix, shape in shapes.items():
        state_dict[f'{prefix}.0.weight'] = torch.randn(shape) * 0.01
        state_dict[f'{prefix}.1.weight'] = torch.ones(512)
        state_dict[f'{prefix}.1.bias'] = torch.zeros(512)
        state_dict[f'{prefix}.1.running_mean'] = torch.zeros(512)
        state_dict[f'{prefix}.1.running_var'] = torch.ones(512)
        state_dict[f'{prefix}.1.num_batches_tracked'] = torch.tensor(0)
    return state_dict


def test_lateral_enchead_becomes_mmseg_lateral_enchead(official_enc,
                                                         tmp_path):
    source = _save(
        _with_lateral(official_enc['state_dict']), tmp_path / 'lateral.pth')
    result = _run_converter(source, tmp_path / 'out.pth',
                            tmp_path / 'cfg.py')
    assert 'cannot run with JPU' in result.stdout
    model = init_model(str(tmp_path / 'cfg.py'), str(tmp_path / 'out.pth'),
                       'cpu')
    assert model.decode_head.add_lateral
    with torch.no_grad():
        logits = model.encode_decode(
            torch.randn(1, 3, 96, 128), [dict(img_shape=(96, 128))])
    assert logits.shape == (1, 59, 96, 128)


def test_resnet101_depth_is_detected(official_enc, tmp_path):
    state_dict = dict(official_enc['state_dict'])
    for block in range(6, 23):  # copy block 5 into blocks 6..22
        for key in [k for k in official_enc['state_dict']
                    if k.startswith('pretrained.layer3.5.')]:
            state_dict[key.replace('layer3.5.', f'layer3.{block}.')] = \
                official_enc['state_dict'][key]
    arch = convert(
        _save(state_dict, tmp_path / 'r101.pth'), tmp_path / 'out.pth',
        tmp_path / 'cfg.py')
    assert arch.depth == 101
    assert Config.fromfile(str(tmp_path / 'cfg.py')).model.backbone.depth == 101


def test_written_config_is_self_contained(official_enc, tmp_path):
    """The config names no file of the installation or checkout, so it
    loads after being moved anywhere."""
    convert(_save(official_enc['state_dict'], tmp_path / 'enc.pth'),
            tmp_path / 'out.pth', tmp_path / 'cfg.py')
    text = (tmp_path / 'cfg.py').read_text()
    assert '_base_' not in text and str(REPO_ROOT) not in text
    moved = tmp_path / 'elsewhere' / 'moved.py'
    moved.parent.mkdir()
    (tmp_path / 'cfg.py').rename(moved)
    assert Config.fromfile(str(moved)).model.decode_head.num_classes == 59
