# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify on mmseg's own zoo configs: the conversion rule for every kind of
dilated model (fast: shapes are probed on the meta device), the converted
models run with their source's logits shape (slow)."""
import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import ConfigDict

from mmseg.registry import MODELS
from mmseg_jpu.tools.jpuify import JpuifyError, jpuify, jpuify_model
from mmseg_jpu.tools.jpuify.levels import build_model
from mmseg_jpu.tools.jpuify.checkpoint import mmseg_jpu_weights
from mmseg_jpu.utils.config_loading import load_config

PSPNET = 'pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'
DEEPLABV3PLUS = 'deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py'
DEEPLABV3PLUS_D16 = ('deeplabv3plus/'
                     'deeplabv3plus_r101-d16-mg124_4xb2-40k_cityscapes-'
                     '512x1024.py')
PSPNET_D32 = 'pspnet/pspnet_r50-d32_4xb2-80k_cityscapes-512x1024.py'
FASTFCN_ENC = 'fastfcn/fastfcn_r50-d32_jpu_enc_4xb4-80k_ade20k-512x512.py'
FASTFCN_PSP = 'fastfcn/fastfcn_r50-d32_jpu_psp_4xb2-80k_cityscapes-512x1024.py'
KNET = 'knet/knet-s3_r50-d8_deeplabv3_8xb2-adamw-80k_ade20k-512x512.py'
OCRNET = 'ocrnet/ocrnet_r101-d8_4xb2-40k_cityscapes-512x1024.py'
MOBILENET_V2 = ('mobilenet_v2/'
                'mobilenet-v2-d8_deeplabv3plus_4xb4-160k_ade20k-512x512.py')
RESNEST = 'resnest/resnest_s101-d8_pspnet_4xb4-160k_ade20k-512x512.py'
CGNET = 'cgnet/cgnet_fcn_4xb8-60k_cityscapes-512x1024.py'
SIZE = (64, 64)


def _model(name):
    return load_config(f'mmseg::{name}').model


def test_dilated_resnet_becomes_resnet_d32_plus_jpu():
    source = _model(PSPNET)
    model = jpuify_model(source)
    assert model.backbone.type == 'ResNetD32'
    for key in ('strides', 'dilations', 'contract_dilation', 'num_stages'):
        assert key not in model.backbone
    for key in ('depth', 'norm_cfg', 'norm_eval', 'style'):
        assert model.backbone[key] == source.backbone[key]  # nothing lost
    assert model.neck == ConfigDict(type='JointPyramidUpsampling',
                                    in_channels=(256, 512, 1024, 2048),
                                    start_level=1,
                                    width=512,
                                    dilations=(1, 2, 4, 8),
                                    norm_cfg=source.backbone.norm_cfg)
    assert model.decode_head.in_index == 4  # the JPU feature
    assert model.auxiliary_head.in_index == 2  # C4, as before
    assert source.backbone.type == 'ResNetV1c'  # the input is unchanged


def test_deeplabv3plus_low_level_branch_keeps_c2():
    model = jpuify_model(_model(DEEPLABV3PLUS))
    assert model.backbone.out_indices == (0, 1, 2, 3)
    assert model.neck.in_channels == (256, 512, 1024, 2048)
    assert model.neck.start_level == 1
    assert model.decode_head.in_index == 4
    assert model.auxiliary_head.in_index == 2


def test_d16_config_fuses_c4_c5_at_stride_16():
    model = jpuify_model(_model(DEEPLABV3PLUS_D16))
    assert 'multi_grid' not in model.backbone
    assert model.neck.in_channels == (256, 512, 1024, 2048)
    assert model.neck.start_level == 2


def test_output_stride_can_be_chosen():
    model = jpuify_model(_model(PSPNET), output_stride=16)
    assert model.neck.start_level == 2


def test_mmseg_fastfcn_gets_the_paper_backbone_and_keeps_its_neck_settings():
    source = _model(FASTFCN_ENC)
    model = jpuify_model(source)
    assert model.backbone.type == 'ResNetD32'
    assert 'dilations' not in model.backbone
    assert model.neck.type == 'JointPyramidUpsampling'
    assert model.neck.in_channels == (512, 1024, 2048)
    assert model.neck.start_level == 0
    assert (model.neck.width, model.neck.align_corners) == (512, False)
    # mmseg's JPU gives (C3, C4, JPU), ours (C3, C4, C5, JPU)
    assert source.decode_head.in_index == (0, 1, 2)
    assert model.decode_head.in_index == (0, 1, 3)
    assert model.auxiliary_head.in_index == 1
    assert model.decode_head.type == source.decode_head.type  # their head


def test_dilated_stride_32_backbone_gets_a_stride_8_jpu():
    """mmseg's pspnet_r50-d32 dilates stages 3-4 but keeps stride 32: the
    JPU brings its head to stride 8, as FastFCN does."""
    model = jpuify_model(_model(PSPNET_D32))
    assert model.neck.start_level == 1
    assert model.decode_head.in_index == 4


def test_knet_reads_through_its_kernel_generate_head():
    source = _model(KNET)
    model = jpuify_model(source)
    assert source.decode_head.kernel_generate_head.in_index == 3
    assert model.decode_head.kernel_generate_head.in_index == 4
    assert 'in_index' not in model.decode_head
    assert model.auxiliary_head.in_index == 2


def test_ocrnet_cascade_heads_all_read_the_jpu_feature():
    """Each OCRNet head hands its logits to the next at the size of the
    next one's feature: the FCN head moves from C4 (stride 16 without
    dilation) to the JPU feature, its in_channels with it."""
    model = jpuify_model(_model(OCRNET))
    fcn, ocr = model.decode_head
    assert (fcn.in_index, fcn.in_channels) == (4, 2048)
    assert (ocr.in_index, ocr.in_channels) == (4, 2048)


@pytest.mark.parametrize(
    'name, backbone, in_channels, kept',
    [(MOBILENET_V2, 'MobileNetV2D32', (24, 32, 96, 320), ('widen_factor', )),
     (RESNEST, 'ResNeStD32', (256, 512, 1024, 2048),
      ('stem_channels', 'radix', 'reduction_factor', 'avg_down_stride'))])
def test_mobilenet_v2_and_resnest_get_their_stride_32_versions(
        name, backbone, in_channels, kept):
    source = _model(name)
    model = jpuify_model(source)
    assert model.backbone.type == backbone
    assert 'dilations' not in model.backbone
    assert all(model.backbone[k] == source.backbone[k] for k in kept)
    assert model.neck.in_channels == in_channels
    assert model.neck.start_level == 1
    assert model.neck.width == in_channels[-1] // 4
    assert model.decode_head.in_index == 4


@pytest.mark.parametrize('name, field', [
    ('segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
     "model.backbone.type is 'MixVisionTransformer'"),
    ('upernet/upernet_r50_4xb2-40k_cityscapes-512x1024.py',
     'model.backbone.dilations is (1, 1, 1, 1)'),
])
def test_undilated_configs_are_refused_naming_the_field_and_the_fix(
        name, field):
    with pytest.raises(JpuifyError) as error:
        jpuify_model(_model(name))
    assert field in str(error.value)
    assert 'Use JPU in your own configs' in str(error.value)


def test_cgnet_is_refused_with_its_reason():
    with pytest.raises(JpuifyError, match='Context Guided blocks'):
        jpuify_model(_model(CGNET))


@pytest.mark.parametrize('change, field', [
    (dict(neck=ConfigDict(type='FPN')), "model.neck is 'FPN'"),
    (dict(type='SegTTAModel'), "model.type is 'SegTTAModel'"),
    (dict(backbone=dict(type='MyDilatedNet', dilations=(1, 2))),
     "model.backbone.type is 'MyDilatedNet'"),
    (dict(auxiliary_head=dict(type='FCNHead', in_index=7)),
     'model.auxiliary_head.in_index=7 is out of range'),
])
def test_bad_source_models_are_refused_naming_the_field(change, field):
    model = _model(PSPNET)
    model.update(change)
    with pytest.raises(JpuifyError) as error:
        jpuify_model(model)
    assert field in str(error.value)


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='config not found'):
        jpuify('mmseg::nope/nope.py', tmp_path / 'out.py')


def test_cfg_options_change_the_source_config(tmp_path):
    result = jpuify(f'mmseg::{PSPNET}',
                    tmp_path / 'out.py',
                    cfg_options={'model.backbone.depth': 101})
    assert 'depth=101' in result.lines[1]
    assert load_config(str(result.config)).model.backbone.depth == 101


def test_mmseg_jpu_weights_give_the_same_feature_in_ours():
    """Re-keyed and re-ordered, a trained mmseg JPU computes exactly the
    same JPU feature in JointPyramidUpsampling."""
    theirs = MODELS.build(
        dict(type='JPU', in_channels=(8, 16, 32), mid_channels=4))
    for module in theirs.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(module.running_mean, -1, 1)
            torch.nn.init.uniform_(module.running_var, 0.5, 2)
    state = {f'neck.{k}': v for k, v in theirs.state_dict().items()}
    converted = {
        key[len('neck.'):]: tensor
        for key, tensor in mmseg_jpu_weights(state, width=4).items()
    }
    ours = MODELS.build(
        dict(type='JointPyramidUpsampling',
             in_channels=(8, 16, 32),
             width=4,
             align_corners=False))
    ours.load_state_dict(converted, strict=True)
    theirs.eval()
    ours.eval()
    feats = [
        torch.randn(1, c, 16 // 2**i, 12 // 2**i)
        for i, c in enumerate((8, 16, 32))
    ]
    with torch.no_grad():
        torch.testing.assert_close(ours(feats)[-1], theirs(feats)[-1])


def _logits(model_cfg):
    model = build_model(model_cfg, meta=False)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, *SIZE), mode='tensor')
    return logits[0] if isinstance(logits, (tuple, list)) else logits, model


def _gflops(model):
    analyzer = FlopAnalyzer(model, (torch.randn(1, 3, *SIZE), ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return analyzer.total()


@pytest.mark.slow
@pytest.mark.parametrize('name', [
    PSPNET, DEEPLABV3PLUS, DEEPLABV3PLUS_D16, FASTFCN_PSP, FASTFCN_ENC, KNET,
    OCRNET, MOBILENET_V2, RESNEST
],
                         ids=lambda s: s.split('/')[1][:-3])
def test_converted_model_runs_with_the_logits_shape_of_its_source(name):
    source = _model(name)
    source_logits, source_model = _logits(source)
    logits, model = _logits(jpuify_model(source))
    assert logits.shape == source_logits.shape
    assert torch.isfinite(logits).all()
    if source.get('neck') is None:  # a dilated stride-8/16 source
        assert _gflops(model) < _gflops(source_model)


@pytest.mark.slow
def test_dilated_stride_32_source_runs_with_stride_8_logits():
    source_logits, _ = _logits(_model(PSPNET_D32))
    logits, _ = _logits(jpuify_model(_model(PSPNET_D32)))
    assert source_logits.shape[2:] == (SIZE[0] // 32, SIZE[1] // 32)
    assert logits.shape[2:] == (SIZE[0] // 8, SIZE[1] // 8)
