# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""tools/infer.py as a user runs it: the tiny model on one image and on a
folder (grayscale, RGBA, odd sizes), the legend (in colours a person can
tell apart) and ``--labels`` (uint8, and uint16 for more than 255
classes), configs as ``mmseg_jpu::path`` with ``--cfg-options``, and bad
arguments refused with one line (no GPU, lossy or missing extensions,
unwritable folders, outputs that would overwrite inputs or each other)."""
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmseg.datasets import CityscapesDataset, PascalContextDataset59
from mmseg.registry import MODELS
from mmseg_jpu.tools.infer import (MIN_COLOR_DIFFERENCE, LegendEntry,
                                   draw_legend, legend)
from .conftest import REPO_ROOT, TINY_PASCAL_CONTEXT_CONFIG, run_python

TINY_IMAGE = (REPO_ROOT / 'data' / 'tiny' / 'VOCdevkit' / 'VOC2010' /
              'JPEGImages' / 'tiny_val_000.jpg')
PALETTE = {tuple(c) for c in PascalContextDataset59.METAINFO['palette']}
CLASSES = PascalContextDataset59.METAINFO['classes']


@pytest.fixture
def untrained(untrained_tiny_checkpoint):
    return untrained_tiny_checkpoint


def _infer(*args):
    return run_python(REPO_ROOT / 'tools' / 'infer.py', *args)


def _infer_here(monkeypatch, *args):
    """Run tools/infer.py in this process; return its exit code (0 when it
    ends normally)."""
    monkeypatch.setattr(sys, 'argv', ['infer.py', *map(str, args)])
    try:
        runpy.run_path(
            str(REPO_ROOT / 'tools' / 'infer.py'), run_name='__main__')
    except SystemExit as exit_:
        return exit_.code
    return 0


@pytest.mark.slow
def test_single_image_with_legend_and_labels(untrained, tmp_path):
    result = _infer(TINY_IMAGE, TINY_PASCAL_CONTEXT_CONFIG, untrained,
                    '--out', tmp_path / 'mask.png', '--labels',
                    f'{tmp_path}/labels/')  # a folder: ends with /
    assert result.returncode == 0, result.stderr
    assert 'Traceback' not in result.stderr
    (tmp_path / 'labels' / 'tiny_val_000.png').rename(tmp_path / 'labels.png')
    image = cv2.imread(str(TINY_IMAGE))
    height, width = image.shape[:2]
    mask = cv2.imread(str(tmp_path / 'mask.png'))
    overlay = cv2.imread(str(tmp_path / 'mask_overlay.png'))
    labels = cv2.imread(str(tmp_path / 'labels.png'), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (height, width, 3)
    assert labels.shape == (height, width) and labels.dtype == np.uint8
    # the mask is the palette colour of each label
    palette = np.array(PascalContextDataset59.METAINFO['palette'])
    np.testing.assert_array_equal(mask[..., ::-1], palette[labels])
    # the overlay is the blend in the legend's colours (the palette's,
    # except where two are hard to tell apart), the legend panel beside it
    assert overlay.shape[0] >= height and overlay.shape[1] > width
    drawn = palette.copy()
    for entry in legend(labels, CLASSES, palette.astype(np.uint8)):
        drawn[entry.label] = entry.color
    blend = (image * 0.5 + drawn[labels][..., ::-1] * 0.5).astype(np.uint8)
    np.testing.assert_array_equal(overlay[:height, :width], blend)
    # the printed legend: every class present, its share and colour
    values, counts = np.unique(labels, return_counts=True)
    printed = [l for l in result.stdout.splitlines() if l.startswith('  ')]
    assert len(values) > 1 and len(printed) == len(values)
    for value, count in zip(values, counts):
        line = next(l for l in printed if f'(label {value}, ' in l)
        assert f'{count / labels.size:6.1%}  {CLASSES[value]} ' in line
        assert f'RGB {tuple(int(c) for c in palette[value])}' in line


@pytest.mark.slow
def test_folder_of_grayscale_rgba_and_odd_sizes(untrained, tmp_path):
    image = cv2.imread(str(TINY_IMAGE))
    folder = tmp_path / 'images'
    folder.mkdir()
    cv2.imwrite(str(folder / 'gray.png'),
                cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(folder / 'rgba.png'),
                cv2.cvtColor(image, cv2.COLOR_BGR2BGRA))
    cv2.imwrite(str(folder / 'odd.jpg'), cv2.resize(image, (97, 33)))
    cv2.imwrite(str(folder / 'small.png'), cv2.resize(image, (32, 32)))
    result = _infer(folder, TINY_PASCAL_CONTEXT_CONFIG, untrained, '--out',
                    tmp_path / 'out', '--labels', tmp_path / 'labels')
    assert result.returncode == 0, result.stderr
    for name, size in (('gray', image.shape[:2]), ('rgba', image.shape[:2]),
                       ('odd', (33, 97)), ('small', (32, 32))):
        mask = cv2.imread(str(tmp_path / 'out' / f'{name}.png'))
        overlay = cv2.imread(str(tmp_path / 'out' / f'{name}_overlay.png'))
        labels = cv2.imread(
            str(tmp_path / 'labels' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
        assert mask.shape[:2] == labels.shape == size, name
        assert overlay.shape[0] >= size[0] and overlay.shape[1] > size[1]
        rgb_colors = {tuple(c) for c in mask[..., ::-1].reshape(-1, 3)}
        assert rgb_colors <= PALETTE, name


def test_more_than_255_classes_give_uint16_labels(tmp_path, monkeypatch,
                                                  capsys):
    """Also: the config named as mmseg_jpu::path, changed by
    --cfg-options."""
    cfg = Config.fromfile(str(TINY_PASCAL_CONTEXT_CONFIG))
    options = dict(model=dict(decode_head=dict(num_classes=300),
                              auxiliary_head=dict(num_classes=300)))
    cfg.merge_from_dict(options)
    model = MODELS.build(cfg.model)
    with torch.no_grad():  # make class 299 win everywhere
        model.decode_head.conv_seg.bias[299] = 1e4
    path = tmp_path / 'model.pth'
    torch.save(dict(meta={}, state_dict=model.state_dict()), path)
    code = _infer_here(
        monkeypatch, TINY_IMAGE,
        f'mmseg_jpu::quickstart/{TINY_PASCAL_CONTEXT_CONFIG.name}', path,
        '--out', tmp_path / 'mask.png', '--labels', tmp_path / 'labels.png',
        '--cfg-options', 'model.decode_head.num_classes=300',
        'model.auxiliary_head.num_classes=300')
    assert code == 0
    assert '100.0%  class 299 (label 299, ' in capsys.readouterr().out
    labels = cv2.imread(str(tmp_path / 'labels.png'), cv2.IMREAD_UNCHANGED)
    assert labels.dtype == np.uint16
    assert (labels == 299).all()


@pytest.mark.parametrize('entries', [1, 40])
def test_legend_panel_lists_every_entry(entries):
    overlay = np.zeros((30, 20, 3), np.uint8)
    legend = [
        LegendEntry(i, f'class {i}', (i, 2 * i, 3 * i), 1 / entries,
                    (i, 2 * i, 3 * i)) for i in range(entries)
    ]
    drawn = draw_legend(overlay, legend)
    assert drawn.shape[1] > 20 and drawn.shape[0] >= 30
    np.testing.assert_array_equal(drawn[:30, :20], overlay)
    panel = drawn[:, 20:]
    for entry in legend:  # each swatch is drawn in its colour (BGR)
        assert (panel == entry.color[::-1]).all(axis=-1).any(), entry


def _distance(first, second):
    lab = cv2.cvtColor(
        np.array([[first, second]], np.float32) / 255, cv2.COLOR_RGB2Lab)[0]
    return np.linalg.norm(lab[0] - lab[1])


def test_legend_recolours_classes_a_person_cannot_tell_apart():
    """Pascal Context's road (0, 255, 20) and car (8, 255, 51), person
    (102, 8, 255) and grass (112, 9, 255): the class with fewer pixels of
    each pair is drawn in another colour, the same every time."""
    names = list(CLASSES)
    palette = np.array(PascalContextDataset59.METAINFO['palette'], np.uint8)
    present = ['road', 'person', 'car', 'grass', 'sky']
    prediction = np.repeat([names.index(n) for n in present],
                           [50, 40, 30, 20, 10])
    entries = legend(prediction, names, palette)
    assert [e.name for e in entries] == present
    by_name = {e.name: e for e in entries}
    for kept, moved in (('road', 'car'), ('person', 'grass')):
        assert _distance(palette[names.index(kept)],
                         palette[names.index(moved)]) < 6
        assert by_name[kept].color == by_name[kept].palette_color
        assert by_name[moved].color != by_name[moved].palette_color == tuple(
            palette[names.index(moved)])
    assert by_name['sky'].color == by_name['sky'].palette_color
    for i, first in enumerate(entries):
        for second in entries[i + 1:]:
            assert _distance(first.color,
                             second.color) >= MIN_COLOR_DIFFERENCE
    assert legend(prediction, names, palette) == entries


def test_legend_keeps_a_palette_whose_colours_differ():
    names = CityscapesDataset.METAINFO['classes']
    palette = np.array(CityscapesDataset.METAINFO['palette'], np.uint8)
    entries = legend(np.arange(len(names)), names, palette)
    assert all(e.color == e.palette_color for e in entries)
    assert [e.color for e in entries] == [tuple(c) for c in palette]


def _refused(monkeypatch, capsys, *args):
    """The error line of an infer.py run refused by its argument checks."""
    assert _infer_here(monkeypatch, *args) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith('infer.py: error: ')
    return error[len('infer.py: error: '):]


def _common(untrained):
    return TINY_IMAGE, TINY_PASCAL_CONTEXT_CONFIG, untrained


def test_no_gpu_for_device_cuda_is_refused(monkeypatch, capsys, untrained):
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        device = f'cuda:{count}'
        expected = (f'argument --device: {device}: this machine has {count} '
                    f'cuda device(s), cuda:0 to cuda:{count - 1}')
    else:
        device = 'cuda'
        expected = ('argument --device: cuda: no CUDA device is available on '
                    'this machine')
    error = _refused(monkeypatch, capsys, *_common(untrained), '--out',
                     'mask.png', '--device', device)
    assert error.startswith(expected)
    assert _refused(monkeypatch, capsys, *_common(untrained), '--out',
                    'mask.png', '--device', 'gpu0') == (
                        "argument --device: 'gpu0' is not a device: use "
                        'cpu, cuda or cuda:N')


@pytest.mark.parametrize('out, expected', [
    ('mask', 'argument --out: mask: no file extension: give a .png file, '
     'e.g. mask.png'),
    ('mask.jpg', 'argument --out: mask.jpg: .jpg compresses lossily and '
     'would change the colours and label values: give a .png file'),
    ('mask.JPEG', 'argument --out: mask.JPEG: .jpeg compresses lossily'),
    ('mask.tif', 'argument --out: mask.tif: .tif is not written: give a .png '
     'file, e.g. mask.png'),
    ('/sys/mask.png', 'argument --out: cannot write into /sys: /sys is not '
     'writable'),
])
def test_outputs_that_lose_labels_or_cannot_be_written_are_refused(
        monkeypatch, capsys, untrained, tmp_path, out, expected):
    monkeypatch.chdir(tmp_path)
    assert _refused(monkeypatch, capsys, *_common(untrained), '--out',
                    out).startswith(expected)
    assert _refused(monkeypatch, capsys, *_common(untrained), '--out',
                    'ok.png', '--labels', out).startswith(
                        expected.replace('--out', '--labels'))
    assert list(tmp_path.iterdir()) == []


def test_output_under_a_file_is_refused(monkeypatch, capsys, untrained,
                                        tmp_path):
    (tmp_path / 'file').write_text('')
    assert _refused(monkeypatch, capsys, *_common(untrained), '--out',
                    tmp_path / 'file' / 'mask.png') == (
                        f'argument --out: cannot write into {tmp_path}/file:'
                        f' {tmp_path}/file is a file, not a folder')


def test_outputs_that_overwrite_inputs_or_each_other_are_refused(
        monkeypatch, capsys, untrained, tmp_path):
    folder = tmp_path / 'images'
    folder.mkdir()
    image = cv2.imread(str(TINY_IMAGE))
    for name in ('a.png', 'a.jpg'):
        cv2.imwrite(str(folder / name), image)
    args = folder, TINY_PASCAL_CONTEXT_CONFIG, untrained
    # one message: the file that would be written twice, and the fix
    fix = ': give --out or --labels another path, or rename an image'
    out = tmp_path / 'out'
    for clash, outputs in (
        (folder / 'a.png', ['--out', folder]),  # over an input
        (out / 'a.png', ['--out', out]),  # the masks of a.jpg and a.png
        (out / 'a.png', ['--out', out, '--labels', out]),  # mask, labels
    ):
        if '--labels' in outputs:
            (folder / 'a.jpg').unlink()
        error = _refused(monkeypatch, capsys, *args, *outputs)
        assert error.startswith(f'{clash} would be ') and error.endswith(fix)
    assert list(tmp_path.iterdir()) == [folder]


def test_bad_opacity_and_missing_inputs_are_refused(monkeypatch, capsys,
                                                    untrained, tmp_path):
    assert _refused(monkeypatch, capsys, *_common(untrained), '--out',
                    tmp_path / 'm.png', '--opacity', '1.5') == (
                        'argument --opacity: 1.5 is not between 0 and 1')
    assert _refused(monkeypatch, capsys, TINY_IMAGE,
                    TINY_PASCAL_CONTEXT_CONFIG, tmp_path / 'nope.pth',
                    '--out', tmp_path / 'm.png') == (
                        f'argument checkpoint: {tmp_path}/nope.pth: no such '
                        'file')
    assert f'{tmp_path}/nope.jpg' in _refused(
        monkeypatch, capsys, tmp_path / 'nope.jpg', TINY_PASCAL_CONTEXT_CONFIG,
        untrained, '--out', tmp_path / 'm.png')
    (tmp_path / 'empty').mkdir()
    assert f'images in folder {tmp_path}/empty' in _refused(
        monkeypatch, capsys, tmp_path / 'empty', TINY_PASCAL_CONTEXT_CONFIG,
        untrained, '--out', tmp_path / 'out')
    assert _refused(monkeypatch, capsys, TINY_IMAGE, tmp_path / 'nope.py',
                    untrained, '--out', tmp_path / 'm.png') == (
                        f'argument config: config not found: {tmp_path}/'
                        'nope.py')


def test_help_gives_each_option_and_its_default(monkeypatch, capsys):
    assert _infer_here(monkeypatch, '--help') == 0
    text = ' '.join(capsys.readouterr().out.split())
    for option in ('--out', '--labels', '--device', '--opacity'):
        assert option in text
    assert 'cpu, cuda or cuda:N (default: cpu)' in text
    assert '0 to 1 (default: 0.5)' in text
