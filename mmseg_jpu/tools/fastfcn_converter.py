# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Convert official FastFCN checkpoints (wuhuikai/FastFCN) to mmseg_jpu:
the architecture read from the keys and shapes, every key renamed by a rule
and the result checked strictly against the model of the written config."""
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import torch
from mmengine.config import Config

from mmseg.apis import init_model
from ..checkpoint import load_weights_only, state_dict_of
from ..utils.listing import listing
from ..utils.package_files import config_file

DEPTH_BY_LAYER3_BLOCKS = {6: 50, 23: 101, 36: 152}
#: number of classes -> dataset part of the official config names
DATASET_BY_CLASSES = {
    59: '4xb4-25k_pascal-context-59-480x480',
    150: '4xb4-150k_ade20k-480x480'
}
#: head -> (a key only it has, its classifier weight)
HEADS = {
    'enc': ('head.encmodule.', 'head.conv6.1.weight'),
    'psp': ('head.conv5.0.conv1.', 'head.conv5.5.weight'),
    'deeplabv3': ('head.aspp.', 'head.block.4.weight')
}


def _conv_norm(official: str, ours: str, norm: str = 'bn') -> List[tuple]:
    """``Sequential(conv, norm, ...)`` -> ``ConvModule``."""
    return [(f'{official}.0.', f'{ours}.conv.'),
            (f'{official}.1.', f'{ours}.{norm}.')]


def _separable(official: str, ours: str, norm: str) -> List[tuple]:
    """``Sequential(SeparableConv2d, norm)`` ->
    ``DepthwiseSeparableConvModule``."""
    return [(f'{official}.0.conv1.', f'{ours}.depthwise_conv.conv.'),
            (f'{official}.0.bn.', f'{ours}.depthwise_conv.{norm}.'),
            (f'{official}.0.pointwise.', f'{ours}.pointwise_conv.conv.'),
            (f'{official}.1.', f'{ours}.pointwise_conv.{norm}.')]


def _rules(*groups: List[tuple]) -> Dict[str, str]:
    return dict(rule for group in groups for rule in group)


# official key prefix -> mmseg key prefix; the rest of the key is kept.
COMMON_RULES = _rules([(f'pretrained.conv1.{i}.', f'backbone.stem.{i}.')
                       for i in range(7)],
                      [('pretrained.bn1.', 'backbone.stem.7.')],
                      [(f'pretrained.layer{i}.', f'backbone.layer{i}.')
                       for i in range(1, 5)],
                      _conv_norm('auxlayer.conv5', 'auxiliary_head.convs.0'),
                      [('auxlayer.conv5.4.', 'auxiliary_head.conv_seg.')])
NECK_RULES = {
    'jpu':
    _rules(
        *(_conv_norm(f'jpu.conv{i + 3}', f'neck.conv_layers.{i}')
          for i in range(3)),
        *(_separable(f'jpu.dilation{i + 1}', f'neck.dilation_layers.{i}', 'bn')
          for i in range(4))),
    'jpu_x':
    _rules(
        *(_conv_norm(f'jpu.jum_{j + 1}.conv_{official}',
                     f'neck.joint_upsamplings.{j}.conv_{ours}')
          for j in range(2)
          for official, ours in (('l', 'deep'), ('h', 'shallow'))),
        *(_separable(f'jpu.jum_{j + 1}.dilation{i + 1}',
                     f'neck.joint_upsamplings.{j}.dilation_layers.{i}', 'gn')
          for j in range(2) for i in range(3))),
}
HEAD_RULES = {
    'enc':
    _rules(
        _conv_norm('head.conv5', 'decode_head.bottleneck'),
        _conv_norm('head.encmodule.encoding',
                   'decode_head.enc_module.encoding_project'),
        [('head.encmodule.encoding.3.', 'decode_head.enc_module.encoding.0.'),
         ('head.encmodule.encoding.4.', 'decode_head.enc_module.encoding.1.'),
         ('head.encmodule.fc.0.', 'decode_head.enc_module.fc.0.'),
         ('head.encmodule.selayer.', 'decode_head.se_layer.'),
         ('head.conv6.1.', 'decode_head.conv_seg.')],
        *(_conv_norm(f'head.connect.{i}', f'decode_head.lateral_convs.{i}')
          for i in range(2)), _conv_norm('head.fusion', 'decode_head.fusion')),
    'psp':
    _rules(
        *(_conv_norm(f'head.conv5.0.conv{i + 1}',
                     f'decode_head.psp_modules.{i}.1') for i in range(4)),
        [('head.conv5.1.', 'decode_head.bottleneck.conv.'),
         ('head.conv5.2.', 'decode_head.bottleneck.bn.'),
         ('head.conv5.5.', 'decode_head.conv_seg.')]),
    'deeplabv3':
    _rules(
        *(_conv_norm(f'head.aspp.b{i}', f'decode_head.aspp_modules.{i}')
          for i in range(4)),
        [('head.aspp.b4.gap.1.', 'decode_head.image_pool.1.conv.'),
         ('head.aspp.b4.gap.2.', 'decode_head.image_pool.1.bn.')],
        _conv_norm('head.aspp.project', 'decode_head.project'),
        _conv_norm('head.block', 'decode_head.bottleneck'),
        [('head.block.4.', 'decode_head.conv_seg.')]),
}


class ConversionError(ValueError):
    """The checkpoint is not an official FastFCN checkpoint we can convert."""


@dataclass
class Architecture:
    """What an official checkpoint holds, read from its keys and shapes."""
    head: str  # 'enc', 'psp' or 'deeplabv3'
    neck: str  # 'jpu' or 'jpu_x'
    depth: int
    num_classes: int
    aux: bool
    se_loss: bool
    lateral: bool

    def describe(self) -> str:
        parts = [
            f'{self.head}+{self.neck.upper()}', f'ResNet-{self.depth}',
            f'{self.num_classes} classes',
            'aux head' if self.aux else 'no aux head'
        ]
        if self.head == 'enc':
            parts.append('SE loss' if self.se_loss else 'no SE loss')
            parts.append('lateral' if self.lateral else 'no lateral')
        return ', '.join(parts)


def load_official_state_dict(path: Path) -> Dict[str, torch.Tensor]:
    """The tensors of an official checkpoint, read weights-only, without a
    ``module.`` prefix."""
    state_dict = state_dict_of(
        load_weights_only(path, map_location='cpu', official_fastfcn=True))
    others = sorted(k for k, v in state_dict.items() if not torch.is_tensor(v))
    if others:
        raise ConversionError(f'{path}: entries that are not tensors: '
                              f'{listing(others, 20)}')
    return state_dict


def detect_architecture(state_dict: Dict[str, torch.Tensor]) -> Architecture:
    """Read head, neck, depth, classes and options from the keys."""

    def has(prefix: str) -> bool:
        return any(key.startswith(prefix) for key in state_dict)

    heads = [head for head, (marker, _) in HEADS.items() if has(marker)]
    if len(heads) != 1 or not has('jpu.'):
        prefixes = sorted({k.split('.', 1)[0] + '.' for k in state_dict})
        raise ConversionError(
            'not an official FastFCN checkpoint of EncNet, PSP or DeepLabV3 '
            'with a JPU neck (dilated=False; keys head.*, jpu.*): its keys '
            f'start with {listing(prefixes, 20) or "nothing"}; the converter '
            "reads the checkpoints that wuhuikai/FastFCN's train.py saves")
    blocks = {
        k.split('.')[2]
        for k in state_dict if k.startswith('pretrained.layer3.')
    }
    depth = DEPTH_BY_LAYER3_BLOCKS.get(len(blocks))
    if depth is None:
        raise ConversionError(f'pretrained.layer3 has {len(blocks)} blocks; '
                              'expected 6 (ResNet-50), 23 (101) or 36 (152)')
    classifier = HEADS[heads[0]][1]
    if classifier not in state_dict:
        raise ConversionError(f'classifier weight {classifier} is missing')
    return Architecture(
        head=heads[0],
        neck='jpu_x' if has('jpu.jum_') else 'jpu',
        depth=depth,
        num_classes=state_dict[classifier].shape[0],
        aux=has('auxlayer.'),
        se_loss='head.encmodule.selayer.weight' in state_dict,
        lateral=has('head.connect.'))


def rename_keys(state_dict: Dict[str, torch.Tensor],
                arch: Architecture) -> Dict[str, torch.Tensor]:
    """Rename every key by its rule (the longest matching prefix)."""
    rules = {**COMMON_RULES, **NECK_RULES[arch.neck], **HEAD_RULES[arch.head]}
    converted, unknown = {}, []
    for key, value in state_dict.items():
        prefix = max((p for p in rules if key.startswith(p)),
                     key=len,
                     default=None)
        if prefix:
            converted[rules[prefix] + key[len(prefix):]] = value
        elif not key.startswith('pretrained.fc.'):
            unknown.append(key)
    if unknown:
        raise ConversionError('keys of no known official FastFCN module: '
                              f'{listing(sorted(unknown), 20)}')
    return converted


def converted_config(arch: Architecture) -> Config:
    """The package's official config for ``arch``, its options set."""
    dataset = DATASET_BY_CLASSES.get(arch.num_classes)
    if dataset is None:
        raise ConversionError(
            f'no config for {arch.num_classes} classes: supported are 59 '
            '(Pascal Context) and 150 (ADE20K)')
    cfg = Config.fromfile(
        config_file('fastfcn_official/fastfcn-official_r50-d32_jpu_'
                    f'{arch.head}_{dataset}.py'))
    model = cfg.model
    model.backbone.depth = arch.depth
    model.decode_head.num_classes = arch.num_classes
    if arch.head == 'enc':
        model.decode_head.update(
            use_se_loss=arch.se_loss, add_lateral=arch.lateral)
    if arch.aux:
        model.auxiliary_head.num_classes = arch.num_classes
    else:
        model.auxiliary_head = None
    if arch.neck == 'jpu_x':  # its defaults are the official layout
        model.neck = dict(
            type='JointPyramidUpsamplingX', norm_cfg=cfg.norm_cfg)
    return cfg


def check_fit(state_dict: Dict[str, torch.Tensor], cfg: Config) -> None:
    """Require the keys and shapes of the model of ``cfg``."""
    expected = init_model(copy.deepcopy(cfg), device='cpu').state_dict()
    misshapen = [
        f'{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}'
        for k, v in state_dict.items()
        if k in expected and v.shape != expected[k].shape
    ]
    problems = [
        f'{name}: {listing(sorted(keys), 20)}'
        for name, keys in (('missing', expected.keys() - state_dict.keys()),
                           ('unexpected', state_dict.keys() - expected.keys()),
                           ('shape mismatch', misshapen)) if keys
    ]
    if problems:
        raise ConversionError('converted weights do not fit the model of '
                              f'{Path(cfg.filename).name}: ' +
                              '; '.join(problems))


def convert(src: Path, dst: Path, config_out: Path) -> Architecture:
    """Convert ``src`` into an mmseg checkpoint ``dst`` and its
    self-contained config ``config_out``; write nothing if it fails.
    Returns what was detected."""
    official = load_official_state_dict(src)
    arch = detect_architecture(official)
    state_dict = rename_keys(official, arch)
    cfg = converted_config(arch)
    check_fit(state_dict, cfg)
    for path in (Path(dst), Path(config_out)):
        path.parent.mkdir(parents=True, exist_ok=True)
    Path(config_out).write_text(
        f'# Converted official FastFCN model: {arch.describe()}.\n'
        f"# Made from mmseg_jpu's {Path(cfg.filename).name}.\n" +
        cfg.pretty_text)
    meta = dict(converted_from=str(src), architecture=arch.describe())
    torch.save(dict(meta=meta, state_dict=state_dict), dst)
    return arch


def summary(arch: Architecture, dst: Path,
            config_out: Path) -> Tuple[str, ...]:
    """What the converter prints: what it detected and wrote, and how to
    evaluate it."""
    lateral = ('The official lateral EncHead cannot run with JPU (it '
               'concatenates stride-8 and stride-16 maps); the weights were '
               "converted to mmseg's lateral EncHead, which resizes first.")
    return (f'Detected: {arch.describe()}', f'Checkpoint: {dst}',
            f'Config: {config_out}', *([lateral] if arch.lateral else []),
            f'Evaluate: .venv/bin/mim test mmseg {config_out} --checkpoint '
            f'{dst}')
