# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/check_dataset.py on real layouts: the tiny Pascal Context and
ADE20K samples can train; each broken case of data/tiny_broken is named; a
missing dataset says where it was looked for and how to prepare it; a
Cityscapes layout (made here) works without Cityscapes-specific code. And
the loops of the plugin's schedules stop ``mim train`` and ``tools/test.py``
on a dataset not prepared yet with that message, before mmseg's own."""
import runpy
import shutil
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg.registry import MODELS
from mmseg_jpu.datasets.dataset_check import (DatasetNotFoundError,
                                              label_range)
from mmseg_jpu.tools.mmseg_tools import mmseg_tool
from make_tiny_datasets import OUT_OF_RANGE_RAW_LABEL
from .conftest import (REPO_ROOT, TINY_ADE20K_CONFIG,
                       TINY_PASCAL_CONTEXT_CONFIG, run_python,
                       tiny_run_config)

BROKEN = REPO_ROOT / 'data' / 'tiny_broken' / 'VOCdevkit' / 'VOC2010'
PAPER_CONFIG = (
    REPO_ROOT / 'configs' / 'fastfcn_jpu' /
    'fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480.py')
MMSEG_CITYSCAPES = 'mmseg::_base_/datasets/cityscapes.py'


def _check(monkeypatch, capsys, *args):
    """Run tools/check_dataset.py in this process: (exit code, output
    lines)."""
    monkeypatch.setattr(sys, 'argv', ['check_dataset.py', *map(str, args)])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(
            str(REPO_ROOT / 'tools' / 'check_dataset.py'),
            run_name='__main__')
    captured = capsys.readouterr()
    return exit_.value.code, (captured.out + captured.err).splitlines()


@pytest.mark.parametrize('config', [TINY_PASCAL_CONTEXT_CONFIG,
                                    TINY_ADE20K_CONFIG])
def test_tiny_datasets_can_train(monkeypatch, capsys, config):
    code, lines = _check(monkeypatch, capsys, config)
    assert code == 0
    assert lines[-1] == ('Training can start: train 8 images, val/test 4 '
                         'images.')
    assert '  8 images, 8 annotations' in lines
    assert '  4 images, 4 annotations' in lines


def _check_train(monkeypatch, capsys, data_root, split='train'):
    """tools/check_dataset.py on the tiny config whose train dataset reads
    ``split`` of ``data_root``."""
    return _check(
        monkeypatch, capsys, TINY_PASCAL_CONTEXT_CONFIG, '--cfg-options',
        f'train_dataloader.dataset.data_root={data_root}',
        f'train_dataloader.dataset.ann_file=ImageSets/SegmentationContext/'
        f'{split}.txt')


@pytest.mark.parametrize('case, problem, named', [
    ('missing_annotation', '1 missing files',
     'SegmentationClassContext/missing_annotation.png'),
    ('truncated_image', '1 unreadable files',
     'JPEGImages/truncated_image.jpg'),
    ('size_mismatch', "1 annotations not a label map of their image's size",
     'SegmentationClassContext/size_mismatch.png {} vs image {}'),
    ('label_out_of_range', '1 annotations with labels outside the 59 classes',
     f'SegmentationClassContext/label_out_of_range.png '
     f'[{OUT_OF_RANGE_RAW_LABEL - 1}]'),  # reduce_zero_label; 255 ignored
    ('empty', 'no images', None),
])
def test_each_broken_case_is_named(monkeypatch, capsys, case, problem, named):
    code, lines = _check_train(monkeypatch, capsys, BROKEN, case)
    assert code == 1
    assert lines[-1] == f'Training cannot start: train: {problem}'
    if named:
        height, width = cv2.imread(
            str(BROKEN / 'JPEGImages' / 'size_mismatch.jpg')).shape[:2]
        named = named.format((height // 2, width // 2), (height, width))
        assert any(f'({BROKEN}/{named})' in line for line in lines), lines


def test_missing_dataset_says_where_and_how(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, lines = _check(monkeypatch, capsys, PAPER_CONFIG)
    assert code == 1
    assert lines[0].startswith(
        "the train dataset is not prepared: PascalContextDataset59 at "
        f"data_root 'data/VOCdevkit/VOC2010/' ({tmp_path}/data/VOCdevkit/"
        'VOC2010): missing data/VOCdevkit/VOC2010/')
    assert 'docs/datasets.md#pascal-context' in lines[0]
    assert lines[-1] == ('Training cannot start: train: not prepared | '
                         'val, test: not prepared')


def test_missing_split_file_is_named(monkeypatch, capsys, tmp_path):
    root = tmp_path / 'VOC2010'
    for folder in ('JPEGImages', 'SegmentationClassContext'):
        (root / folder).mkdir(parents=True)
    code, lines = _check_train(monkeypatch, capsys, root)
    assert code == 1
    assert (f'missing {root}/ImageSets/SegmentationContext/train.txt '
            '(relative paths') in lines[0]


def test_listed_image_that_does_not_exist_is_named(monkeypatch, capsys,
                                                   tmp_path):
    root = tmp_path / 'VOC2010'
    for folder in ('JPEGImages', 'SegmentationClassContext',
                   'ImageSets/SegmentationContext'):
        (root / folder).mkdir(parents=True)
    (root / 'ImageSets/SegmentationContext/train.txt').write_text('ghost\n')
    code, lines = _check_train(monkeypatch, capsys, root)
    assert code == 1
    assert (f'  missing files: 2 ({root}/JPEGImages/ghost.jpg, '
            f'{root}/SegmentationClassContext/ghost.png)') in lines
    assert lines[-1] == 'Training cannot start: train: 2 missing files'


def _write_cityscapes(root):
    """A Cityscapes layout: leftImg8bit/<split>/<city>/*_leftImg8bit.png and
    gtFine/<split>/<city>/*_gtFine_labelTrainIds.png, with a train image
    without annotation, a train annotation without image, and in val a
    label of 19 (Cityscapes has 19 classes) and a colour annotation."""
    rng = np.random.default_rng(0)

    def write(split, name, image=True, label=True, labels=(0, 18, 255),
              colour=False):
        city = f'{split}/aachen'
        if image:
            path = root / 'leftImg8bit' / city / f'{name}_leftImg8bit.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), rng.integers(0, 255, (16, 32, 3),
                                                dtype=np.uint8))
        if label:
            path = root / 'gtFine' / city / f'{name}_gtFine_labelTrainIds.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            pixels = rng.choice(labels, (16, 32)).astype(np.uint8)
            cv2.imwrite(str(path),
                        np.dstack([pixels] * 3) if colour else pixels)

    write('train', 'aachen_000000_000019')
    write('train', 'aachen_000001_000019', label=False)
    write('train', 'aachen_000002_000019', image=False)
    write('val', 'aachen_000003_000019', labels=(1, 19))
    write('val', 'aachen_000004_000019', colour=True)


def test_cityscapes_layout_without_cityscapes_code(monkeypatch, capsys,
                                                   tmp_path):
    root = tmp_path / 'cityscapes'
    _write_cityscapes(root)
    code, lines = _check(monkeypatch, capsys, MMSEG_CITYSCAPES,
                         '--cfg-options',
                         f'train_dataloader.dataset.data_root={root}',
                         f'val_dataloader.dataset.data_root={root}',
                         f'test_dataloader.dataset.data_root={root}')
    assert code == 1
    text = '\n'.join(lines)
    gt = root / 'gtFine' / 'train' / 'aachen'
    assert ('  missing files: 1 '
            f'({gt}/aachen_000001_000019_gtFine_labelTrainIds.png)') in lines
    assert ('  annotations without image: 1 '
            f'({gt}/aachen_000002_000019_gtFine_labelTrainIds.png)') in lines
    assert '_gtFine_labelTrainIds.png [19])' in text
    assert lines[-1].startswith(
        'Training cannot start: train: 1 missing files | val, test: ')
    assert "1 annotations not a label map of their image's size" in lines[-1]
    assert '1 annotations with labels outside the 19 classes' in lines[-1]


def test_workers_and_config_are_checked(monkeypatch, capsys, tmp_path):
    code, lines = _check(monkeypatch, capsys, TINY_ADE20K_CONFIG,
                         '--workers', '0')
    assert code == 2
    assert lines[-1].endswith('argument --workers: 0 is below 1')
    code, lines = _check(monkeypatch, capsys, tmp_path / 'nope.py')
    assert code == 2
    assert lines[-1].endswith(
        f'argument config: config not found: {tmp_path}/nope.py')


def _missing_data_config(tmp_path):
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, tmp_path / 'work')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.dataset.data_root = 'data/VOCdevkit/VOC2010/'
    cfg.test_dataloader = cfg.val_dataloader
    return cfg


@pytest.mark.parametrize('train_cfg', [
    None,
    dict(type='DataCheckedEpochBasedTrainLoop', max_epochs=1),
])
def test_loops_name_a_dataset_not_prepared(tmp_path, monkeypatch, train_cfg):
    monkeypatch.chdir(tmp_path)
    cfg = _missing_data_config(tmp_path)
    if train_cfg is not None:
        cfg.train_cfg = train_cfg
        cfg.train_dataloader.sampler = dict(type='DefaultSampler')
    runner = Runner.from_cfg(cfg)
    for run, split in ((runner.train, 'train'), (runner.test, 'test')):
        with pytest.raises(DatasetNotFoundError) as error:
            run()
        assert str(error.value).startswith(
            f'the {split} dataset is not prepared: PascalContextDataset59 at '
            "data_root 'data/VOCdevkit/VOC2010/' "
            f'({tmp_path}/data/VOCdevkit/VOC2010): missing '
            'data/VOCdevkit/VOC2010/ (relative paths start in the working '
            f'directory {tmp_path}). Prepare it as '
            'docs/datasets.md#pascal-context of mmseg_jpu says')


@pytest.mark.slow
def test_mim_train_and_mmseg_test_name_a_dataset_not_prepared(tmp_path):
    """The paper config from a folder without data/: the message is the
    error of the train (and test) tool, before mmseg's."""
    config = tmp_path / 'config.py'
    _missing_data_config(tmp_path).dump(str(config))
    mim = shutil.which('mim', path=str(REPO_ROOT / '.venv' / 'bin')) or \
        shutil.which('mim')
    expected = ('the train dataset is not prepared: PascalContextDataset59 at '
                "data_root 'data/VOCdevkit/VOC2010/'")
    import subprocess
    train = subprocess.run([mim, 'train', 'mmseg', str(config)],
                           cwd=tmp_path, capture_output=True, text=True)
    assert train.returncode != 0
    assert expected in train.stdout + train.stderr
    assert 'Failed to load `ann_file`' not in train.stdout + train.stderr
    test = run_python(mmseg_tool('test.py'), config, tmp_path / 'any.pth')
    assert test.returncode != 0
    assert 'the test dataset is not prepared' in test.stderr


def test_label_range_reads_the_predicting_head():
    """One rule for the tool (configs) and the hook (built heads): the last
    head of a cascade, mmseg's default ignore_index unless configured."""
    cascade = [dict(num_classes=3), dict(num_classes=5, ignore_index=7)]
    assert label_range(cascade) == (5, 7)
    assert label_range(dict(num_classes=4)) == (4, 255)
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    head = MODELS.build(cfg.model).decode_head
    assert label_range(head) == (59, 255)
    assert label_range(torch.nn.ModuleList([head])) == (59, 255)
