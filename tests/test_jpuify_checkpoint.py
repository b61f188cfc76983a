# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""jpuify --checkpoint: a model trained with a dilated mmseg config is
carried over to its JPU version (every backbone and head tensor unchanged,
only the JPU neck new), the converted checkpoint evaluates with mmseg's
tools/test.py, and a short fine-tune from it beats the same fine-tune from a
fresh initialisation."""
import re
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg_jpu.tools.jpuify import JpuifyError, jpuify
from mmseg_jpu.tools.jpuify.levels import build_model
from mmseg_jpu.checkpoint import load_weights_only
from mmseg_jpu.utils.config_loading import scope_config_root
from .conftest import CONFIG_DIR, REPO_ROOT, mmseg_test_tool, run_python
from .test_jpuify_cli import SMALL_PSPNET

MMSEG_CONFIGS = scope_config_root('mmseg')
#: mmseg's own dilated PSPNet model (ResNetV1c d8) shrunk to a ResNet-18 on
#: the tiny Cityscapes sample, trained from scratch
SOURCE_CONFIG = f"""
_base_ = [
    '{MMSEG_CONFIGS}/_base_/models/pspnet_r50-d8.py',
    '{CONFIG_DIR}/_base_/datasets/tiny_cityscapes.py',
    '{CONFIG_DIR}/_base_/default_runtime.py',
    '{CONFIG_DIR}/_base_/schedules/schedule_300.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=512, channels=64, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=32, norm_cfg=norm_cfg))
custom_hooks = []
randomness = dict(seed=0)
"""
FASTFCN_PSP = 'fastfcn/fastfcn_r50-d32_jpu_psp_4xb2-80k_cityscapes-512x1024.py'
OCRNET = 'ocrnet/ocrnet_r101-d8_4xb2-40k_cityscapes-512x1024.py'
SOURCE_ITERS = 200
#: short enough that a fresh model is still far from converged
FINE_TUNE_ITERS = 40
FINE_TUNE_SEED = 0


def _write_source(folder: Path) -> Path:
    config = folder / 'pspnet_r18-d8_tiny-cityscapes.py'
    config.write_text(SOURCE_CONFIG)
    return config


def _train(config: Path, work_dir: Path, iters: int, **changes) -> Path:
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    cfg.param_scheduler[0].end = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.merge_from_dict(changes)
    Runner.from_cfg(cfg).train()
    return work_dir / f'iter_{iters}.pth'


def _test_miou(config: Path, checkpoint: Path, work_dir: Path) -> float:
    return mmseg_test_tool(config, checkpoint, work_dir)['mIoU']


def _absolute_paths(text: str) -> set:
    return set(re.findall(r"'(/[^']*)'", text))


def _state(path: Path):
    return load_weights_only(path, map_location='cpu')['state_dict']


@pytest.mark.slow
def test_carried_weights_evaluate_and_fine_tune_better_than_fresh(tmp_path):
    source_config = _write_source(tmp_path)
    source_checkpoint = _train(source_config, tmp_path / 'source',
                               SOURCE_ITERS)
    source_miou = _test_miou(source_config, source_checkpoint,
                             tmp_path / 'source_test')

    out = tmp_path / 'converted' / 'pspnet_r18-d32_jpu.py'
    result = run_python(REPO_ROOT / 'tools' / 'jpuify.py', source_config,
                        out, '--checkpoint', source_checkpoint)
    assert result.returncode == 0, result.stderr
    checkpoint = out.with_suffix('.pth')
    source, carried = _state(source_checkpoint), _state(checkpoint)
    new = sorted(set(carried) - set(source))
    assert new and all(key.startswith('neck.') for key in new)
    assert set(source) <= set(carried)
    for key, tensor in source.items():
        assert torch.equal(carried[key], tensor), key
    assert f'{len(source)} tensors carried' in result.stdout
    assert f'{len(new)} new (freshly initialised): neck.' in result.stdout
    assert "load_from   {{ fileDirname }}/pspnet_r18-d32_jpu.pth" in \
        result.stdout
    text = out.read_text()  # no absolute path but the source config's
    assert _absolute_paths(text) <= _absolute_paths(
        Config.fromfile(str(source_config)).pretty_text)
    assert "load_from = '{{ fileDirname }}/pspnet_r18-d32_jpu.pth'" in text
    assert Config.fromfile(str(out)).load_from == str(checkpoint)

    converted_miou = _test_miou(out, checkpoint, tmp_path / 'converted_test')
    seed = dict(randomness=dict(seed=FINE_TUNE_SEED))
    carried_miou = _test_miou(
        out, _train(out, tmp_path / 'carried', FINE_TUNE_ITERS, **seed),
        tmp_path / 'carried_test')
    fresh_miou = _test_miou(
        out,
        _train(out, tmp_path / 'fresh', FINE_TUNE_ITERS, load_from=None,
               **seed), tmp_path / 'fresh_test')
    print(f'mIoU: source (dilated, {SOURCE_ITERS} iterations) '
          f'{source_miou:.2f}; converted before fine-tuning '
          f'{converted_miou:.2f}; after {FINE_TUNE_ITERS} iterations from '
          f'the carried weights {carried_miou:.2f}, from a fresh '
          f'initialisation {fresh_miou:.2f} (seed {FINE_TUNE_SEED})',
          file=sys.stderr)
    assert carried_miou > fresh_miou


#: mmseg's FastFCN PSP config shrunk to a ResNet-18
FASTFCN_R18 = f"""
_base_ = '{MMSEG_CONFIGS / FASTFCN_PSP}'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=(128, 256, 512), mid_channels=32, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=128, channels=16, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=16, norm_cfg=norm_cfg))
"""
#: mmseg's OCRNet config shrunk to a ResNet-18
OCRNET_R18 = f"""
_base_ = '{MMSEG_CONFIGS / OCRNET}'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=[
        dict(type='FCNHead', in_channels=256, in_index=2, channels=16,
             num_convs=1, concat_input=False, num_classes=19,
             norm_cfg=norm_cfg),
        dict(type='OCRHead', in_channels=512, in_index=3, channels=32,
             ocr_channels=16, num_classes=19, norm_cfg=norm_cfg)
    ])
"""


def _jpuify_with_random_weights(folder: Path, source_text: str, **options):
    """jpuify --checkpoint on a freshly built model of ``source_text``.

    Returns:
        tuple: The source state dict, the carried one and the summary.
    """
    source_config = folder / 'source.py'
    source_config.write_text(source_text)
    source = build_model(Config.fromfile(str(source_config)).model,
                         meta=False).state_dict()
    torch.save({'state_dict': source}, folder / 'source.pth')
    result = jpuify(str(source_config), folder / 'out.py',
                    folder / 'source.pth', **options)
    return source, _state(result.checkpoint), '\n'.join(result.lines)


@pytest.mark.slow
def test_mmseg_fastfcn_checkpoint_carries_over_whole(tmp_path):
    """mmseg's JPU becomes ours re-keyed: nothing is new."""
    source, carried, summary = _jpuify_with_random_weights(
        tmp_path, FASTFCN_R18)
    assert len(carried) == len(source)
    assert 'none new' in summary
    for key, tensor in source.items():
        if not key.startswith('neck.'):
            assert torch.equal(carried[key], tensor), key
    assert torch.equal(carried['neck.conv_layers.0.conv.weight'],
                       source['neck.conv_layers.0.0.conv.weight'])


def test_mmseg_fastfcn_neck_fusing_other_levels_starts_afresh(tmp_path):
    """At output stride 16 our JPU fuses C4 and C5, theirs C3 to C5."""
    source, carried, summary = _jpuify_with_random_weights(
        tmp_path, FASTFCN_R18, output_stride=16)
    neck = [key for key in carried if key.startswith('neck.')]
    assert f'{len(neck)} new (freshly initialised): neck.' in summary
    assert 'not carried: neck.' in summary


@pytest.mark.slow
def test_ocrnet_fcn_head_moved_to_the_jpu_feature_starts_afresh(tmp_path):
    source, carried, summary = _jpuify_with_random_weights(
        tmp_path, OCRNET_R18)
    changed = {
        k
        for k in carried
        if k not in source or not torch.equal(carried[k], source[k])
    }
    assert {k.split('.')[0] for k in changed} == {'neck', 'decode_head'}
    assert all(k.startswith(('neck.', 'decode_head.0.')) for k in changed)
    assert 'decode_head.0.convs.0.conv.weight' in changed
    for key in source:
        if key.startswith(('backbone.', 'decode_head.1.')):
            assert torch.equal(carried[key], source[key]), key
    assert 'decode_head.0.conv_seg.*' in summary


def test_checkpoint_of_another_model_is_refused_naming_the_keys(tmp_path):
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}},
               tmp_path / 'other.pth')
    with pytest.raises(
            JpuifyError,
            match=r'other.pth does not fit the source config \(\d+ missing: '
            r'auxiliary_head.*; 1 shape mismatch: backbone.conv1.weight\)'):
        jpuify('mmseg::pspnet/pspnet_r18b-d8_4xb2-80k_cityscapes-512x1024.py',
               tmp_path / 'out.py', tmp_path / 'other.pth')
    assert not (tmp_path / 'out.py').exists()


def test_summary_counts_the_written_tensors(tmp_path):
    """The counts printed are those of the written checkpoint, BatchNorm's
    ``num_batches_tracked`` included; only the neck is new."""
    source, carried, summary = _jpuify_with_random_weights(
        tmp_path, SMALL_PSPNET)
    new = set(carried) - set(source)
    assert new and all(key.startswith('neck.') for key in new)
    assert f'{len(source)} tensors carried' in summary
    assert f'{len(new)} new (freshly initialised): neck.' in summary
    assert 'not carried' not in summary
