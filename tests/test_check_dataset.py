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
                                              check_split, label_range,
                                              split_datasets)
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


def _broken_split(split):
    dataset = Config.fromfile(str(
        TINY_PASCAL_CONTEXT_CONFIG)).train_dataloader.dataset
    dataset.data_root = str(BROKEN)
    dataset.ann_file = f'ImageSets/SegmentationContext/{split}.txt'
    return check_split(['train'], dataset, num_classes=59)


def test_each_broken_case_is_named():
    image = BROKEN / 'JPEGImages'
    annotation = BROKEN / 'SegmentationClassContext'
    missing = _broken_split('missing_annotation')
    assert missing.files['missing_annotations'] == [
        str(image / 'missing_annotation.jpg')
    ]
    assert missing.problems() == ['1 images without annotation']
    truncated = _broken_split('truncated_image')
    assert truncated.files['unreadable'] == [
        str(image / 'truncated_image.jpg')
    ]
    mismatch = _broken_split('size_mismatch')
    height, width = cv2.imread(str(image / 'size_mismatch.jpg')).shape[:2]
    assert mismatch.files['size_mismatches'] == [
        f'{annotation}/size_mismatch.png {height // 2}x{width // 2} vs image '
        f'{height}x{width}'
    ]
    out_of_range = _broken_split('label_out_of_range')
    reduced = OUT_OF_RANGE_RAW_LABEL - 1
    assert out_of_range.bad_labels == {
        reduced: [str(annotation / 'label_out_of_range.png')]
    }
    assert (f'    label {reduced} (raw {OUT_OF_RANGE_RAW_LABEL} in the files)'
            f' in 1 annotations: {annotation}/label_out_of_range.png'
            ) in out_of_range.lines()
    assert 255 in out_of_range.label_files  # the ignore index is allowed
    assert _broken_split('empty').problems() == ['no images']


def test_broken_train_split_cannot_train(monkeypatch, capsys):
    code, lines = _check(
        monkeypatch, capsys, TINY_PASCAL_CONTEXT_CONFIG, '--cfg-options',
        f'train_dataloader.dataset.data_root={BROKEN}',
        'train_dataloader.dataset.ann_file='
        'ImageSets/SegmentationContext/label_out_of_range.txt')
    assert code == 1
    assert lines[-1] == ('Training cannot start: train: label values outside '
                         'the 59 classes: [59]')


def test_missing_dataset_says_where_and_how(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, lines = _check(monkeypatch, capsys, PAPER_CONFIG)
    assert code == 1
    assert lines[0] == ("train: PascalContextDataset59 at data_root "
                        f"'data/VOCdevkit/VOC2010/' ({tmp_path}/data/"
                        'VOCdevkit/VOC2010)')
    assert lines[1] == '  missing: data/VOCdevkit/VOC2010/'
    assert 'docs/datasets.md#pascal-context' in lines[2]
    assert lines[-1] == ('Training cannot start: train: missing '
                         'data/VOCdevkit/VOC2010/ | val, test: missing '
                         'data/VOCdevkit/VOC2010/')


def test_missing_split_file_is_named(tmp_path):
    root = tmp_path / 'VOC2010'
    for folder in ('JPEGImages', 'SegmentationClassContext'):
        (root / folder).mkdir(parents=True)
    dataset = Config.fromfile(str(
        TINY_PASCAL_CONTEXT_CONFIG)).train_dataloader.dataset
    dataset.data_root = str(root)
    report = check_split(['train'], dataset, num_classes=59)
    assert report.missing_layout == [
        f'{root}/ImageSets/SegmentationContext/train.txt'
    ]


def test_listed_image_that_does_not_exist_is_named(tmp_path):
    root = tmp_path / 'VOC2010'
    for folder in ('JPEGImages', 'SegmentationClassContext',
                   'ImageSets/SegmentationContext'):
        (root / folder).mkdir(parents=True)
    (root / 'ImageSets/SegmentationContext/train.txt').write_text('ghost\n')
    dataset = Config.fromfile(str(
        TINY_PASCAL_CONTEXT_CONFIG)).train_dataloader.dataset
    dataset.data_root = str(root)
    report = check_split(['train'], dataset, num_classes=59)
    ghost = str(root / 'JPEGImages' / 'ghost.jpg')
    assert report.files['missing_images'] == [ghost]
    assert report.files['missing_annotations'] == [ghost]
    assert report.problems() == ['1 listed images that do not exist',
                                 '1 images without annotation']


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
    train = root / 'leftImg8bit' / 'train' / 'aachen'
    assert ('  images without annotation: 1 '
            f'({train}/aachen_000001_000019_leftImg8bit.png)') in lines
    assert ('  annotations without image: 1 (' + str(
        root / 'gtFine' / 'train' / 'aachen' /
        'aachen_000002_000019_gtFine_labelTrainIds.png') + ')') in lines
    assert 'the model has 19 classes (0..18)' in text
    assert '    label 19 in 1 annotations: ' in text
    assert 'colour (multi-channel) annotations, not class indices: 1' in text
    assert lines[-1].startswith(
        'Training cannot start: train: 1 images without annotation | '
        'val, test: 1 colour (multi-channel) annotations')


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


def test_split_datasets_lists_a_shared_dataset_once():
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    assert [splits for splits, _ in split_datasets(cfg)] == [['train'],
                                                             ['val', 'test']]


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
