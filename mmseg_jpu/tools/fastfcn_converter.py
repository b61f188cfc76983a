# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Convert official FastFCN checkpoints (wuhuikai/FastFCN) to mmseg_jpu.

The official ``train.py`` saves ``{'epoch', 'state_dict', 'optimizer',
'best_pred'}``; a bare state dict is accepted too. The architecture is read
from the keys and shapes, every key is renamed by an explicit rule (no key
is dropped silently except the unused ImageNet classifier
``pretrained.fc``), and the result must load strictly into the model built
from the written config.
"""
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

from mmseg.registry import MODELS
from ..checkpoint import load_weights_only, state_dict_of
from ..utils.package_files import config_file
from .mmseg_tools import mmseg_tool

#: number of blocks in layer3 -> ResNet depth
DEPTH_BY_LAYER3_BLOCKS = {6: 50, 23: 101, 36: 152}
#: number of classes -> dataset part of the official config names
DATASET_BY_CLASSES = {
    59: '4xb4-25k_pascal-context-59-480x480',
    150: '4xb4-150k_ade20k-480x480'
}
CLASSIFIER_KEY = {
    'enc': 'head.conv6.1.weight',
    'psp': 'head.conv5.5.weight',
    'deeplabv3': 'head.block.4.weight'
}
UNUSED_PREFIXES = ('pretrained.fc.', )

# (official key prefix pattern, mmseg prefix); the rest of the key is kept.
COMMON_RULES = [
    (r'pretrained\.conv1\.(\d)\.', r'backbone.stem.\1.'),
    (r'pretrained\.bn1\.', 'backbone.stem.7.'),
    (r'pretrained\.(layer\d\.)', r'backbone.\1'),
    (r'auxlayer\.conv5\.0\.', 'auxiliary_head.convs.0.conv.'),
    (r'auxlayer\.conv5\.1\.', 'auxiliary_head.convs.0.bn.'),
    (r'auxlayer\.conv5\.4\.', 'auxiliary_head.conv_seg.'),
]
NECK_RULES = {
    'jpu': [
        (r'jpu\.conv5\.0\.', 'neck.conv_layers.2.conv.'),
        (r'jpu\.conv5\.1\.', 'neck.conv_layers.2.bn.'),
        (r'jpu\.conv4\.0\.', 'neck.conv_layers.1.conv.'),
        (r'jpu\.conv4\.1\.', 'neck.conv_layers.1.bn.'),
        (r'jpu\.conv3\.0\.', 'neck.conv_layers.0.conv.'),
        (r'jpu\.conv3\.1\.', 'neck.conv_layers.0.bn.'),
        (r'jpu\.dilation(\d)\.0\.conv1\.',
         lambda m: f'neck.dilation_layers.{int(m[1]) - 1}.depthwise_conv.'
         'conv.'),
        (r'jpu\.dilation(\d)\.0\.bn\.',
         lambda m: f'neck.dilation_layers.{int(m[1]) - 1}.depthwise_conv.bn.'
         ),
        (r'jpu\.dilation(\d)\.0\.pointwise\.',
         lambda m: f'neck.dilation_layers.{int(m[1]) - 1}.pointwise_conv.'
         'conv.'),
        (r'jpu\.dilation(\d)\.1\.',
         lambda m: f'neck.dilation_layers.{int(m[1]) - 1}.pointwise_conv.bn.'
         ),
    ],
    'jpu_x': [
        (r'jpu\.jum_(\d)\.conv_l\.0\.',
         lambda m: f'neck.joint_upsamplings.{int(m[1]) - 1}.conv_deep.conv.'),
        (r'jpu\.jum_(\d)\.conv_l\.1\.',
         lambda m: f'neck.joint_upsamplings.{int(m[1]) - 1}.conv_deep.bn.'),
        (r'jpu\.jum_(\d)\.conv_h\.0\.', lambda m:
         f'neck.joint_upsamplings.{int(m[1]) - 1}.conv_shallow.conv.'),
        (r'jpu\.jum_(\d)\.conv_h\.1\.',
         lambda m: f'neck.joint_upsamplings.{int(m[1]) - 1}.conv_shallow.bn.'),
        (r'jpu\.jum_(\d)\.dilation(\d)\.0\.conv1\.', lambda m:
         f'neck.joint_upsamplings.{int(m[1]) - 1}.dilation_layers.'
         f'{int(m[2]) - 1}.depthwise_conv.conv.'),
        (r'jpu\.jum_(\d)\.dilation(\d)\.0\.bn\.', lambda m:
         f'neck.joint_upsamplings.{int(m[1]) - 1}.dilation_layers.'
         f'{int(m[2]) - 1}.depthwise_conv.gn.'),
        (r'jpu\.jum_(\d)\.dilation(\d)\.0\.pointwise\.', lambda m:
         f'neck.joint_upsamplings.{int(m[1]) - 1}.dilation_layers.'
         f'{int(m[2]) - 1}.pointwise_conv.conv.'),
        (r'jpu\.jum_(\d)\.dilation(\d)\.1\.', lambda m:
         f'neck.joint_upsamplings.{int(m[1]) - 1}.dilation_layers.'
         f'{int(m[2]) - 1}.pointwise_conv.gn.'),
    ],
}
HEAD_RULES = {
    'enc': [
        (r'head\.conv5\.0\.', 'decode_head.bottleneck.conv.'),
        (r'head\.conv5\.1\.', 'decode_head.bottleneck.bn.'),
        (r'head\.encmodule\.encoding\.0\.',
         'decode_head.enc_module.encoding_project.conv.'),
        (r'head\.encmodule\.encoding\.1\.',
         'decode_head.enc_module.encoding_project.bn.'),
        (r'head\.encmodule\.encoding\.3\.',
         'decode_head.enc_module.encoding.0.'),
        (r'head\.encmodule\.encoding\.4\.',
         'decode_head.enc_module.encoding.1.'),
        (r'head\.encmodule\.fc\.0\.', 'decode_head.enc_module.fc.0.'),
        (r'head\.encmodule\.selayer\.', 'decode_head.se_layer.'),
        (r'head\.conv6\.1\.', 'decode_head.conv_seg.'),
        (r'head\.connect\.(\d)\.0\.', r'decode_head.lateral_convs.\1.conv.'),
        (r'head\.connect\.(\d)\.1\.', r'decode_head.lateral_convs.\1.bn.'),
        (r'head\.fusion\.0\.', 'decode_head.fusion.conv.'),
        (r'head\.fusion\.1\.', 'decode_head.fusion.bn.'),
    ],
    'psp': [
        (r'head\.conv5\.0\.conv(\d)\.0\.',
         lambda m: f'decode_head.psp_modules.{int(m[1]) - 1}.1.conv.'),
        (r'head\.conv5\.0\.conv(\d)\.1\.',
         lambda m: f'decode_head.psp_modules.{int(m[1]) - 1}.1.bn.'),
        (r'head\.conv5\.1\.', 'decode_head.bottleneck.conv.'),
        (r'head\.conv5\.2\.', 'decode_head.bottleneck.bn.'),
        (r'head\.conv5\.5\.', 'decode_head.conv_seg.'),
    ],
    'deeplabv3': [
        (r'head\.aspp\.b([0-3])\.0\.', r'decode_head.aspp_modules.\1.conv.'),
        (r'head\.aspp\.b([0-3])\.1\.', r'decode_head.aspp_modules.\1.bn.'),
        (r'head\.aspp\.b4\.gap\.1\.', 'decode_head.image_pool.1.conv.'),
        (r'head\.aspp\.b4\.gap\.2\.', 'decode_head.image_pool.1.bn.'),
        (r'head\.aspp\.project\.0\.', 'decode_head.project.conv.'),
        (r'head\.aspp\.project\.1\.', 'decode_head.project.bn.'),
        (r'head\.block\.0\.', 'decode_head.bottleneck.conv.'),
        (r'head\.block\.1\.', 'decode_head.bottleneck.bn.'),
        (r'head\.block\.4\.', 'decode_head.conv_seg.'),
    ],
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
        parts = [f'{self.head}+{self.neck.upper()}', f'ResNet-{self.depth}',
                 f'{self.num_classes} classes',
                 'aux head' if self.aux else 'no aux head']
        if self.head == 'enc':
            parts.append('SE loss' if self.se_loss else 'no SE loss')
            parts.append('lateral' if self.lateral else 'no lateral')
        return ', '.join(parts)


def _listing(keys, limit=20) -> str:
    keys = sorted(keys)
    more = f' ... and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def load_official_state_dict(path: Path) -> Dict[str, torch.Tensor]:
    """Read an official checkpoint with ``weights_only=True``; return its
    state dict without a ``module.`` prefix.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        mmseg_jpu.checkpoint.CheckpointLoadError: If the file cannot be
            loaded (its subclass names the cause), or is an mmseg
            checkpoint (``CheckpointKindError``).
        ConversionError: If it holds no state dict of tensors.
    """
    state_dict = state_dict_of(
        load_weights_only(path, map_location='cpu', official_fastfcn=True))
    tensors = {k: v for k, v in state_dict.items() if torch.is_tensor(v)}
    others = _listing(set(state_dict) - set(tensors))
    if not tensors or others:
        raise ConversionError(
            f'{path} is not a state dict of tensors (' +
            (f'entries that are not tensors: {others})'
             if others else 'it holds none)'))
    return tensors


def detect_architecture(state_dict: Dict[str, torch.Tensor]) -> Architecture:
    """Read head, neck, depth, classes and options from the keys.

    Raises:
        ConversionError: If the keys do not look like an official FastFCN
            model with a JPU/JPU_X neck.
    """
    keys = set(state_dict)
    if not any(k.startswith('head.') for k in keys):
        prefixes = {k.split('.', 1)[0] + '.' for k in keys}
        raise ConversionError(
            'not an official FastFCN segmentation checkpoint: it has no '
            f'head.* keys (its keys start with {_listing(prefixes)}); the '
            'converter reads the checkpoints that wuhuikai/FastFCN\'s '
            'train.py saves')
    heads = [
        head for head, marker in (('enc', 'head.encmodule.'),
                                  ('psp', 'head.conv5.0.conv1.'),
                                  ('deeplabv3', 'head.aspp.'))
        if any(k.startswith(marker) for k in keys)
    ]
    if len(heads) != 1:
        raise ConversionError(
            'cannot tell the head (EncNet, PSP or DeepLabV3) from the keys '
            f'under head.: {_listing(k for k in keys if k.startswith("head."))}')
    if any(k.startswith('jpu.jum_') for k in keys):
        neck = 'jpu_x'
    elif any(k.startswith('jpu.dilation') for k in keys):
        neck = 'jpu'
    else:
        raise ConversionError(
            'no JPU or JPU_X keys (jpu.*): only FastFCN models with a JPU '
            'neck (dilated=False) can be converted')
    blocks = {
        int(m[1])
        for m in (re.match(r'pretrained\.layer3\.(\d+)\.', k) for k in keys)
        if m
    }
    depth = DEPTH_BY_LAYER3_BLOCKS.get(len(blocks))
    if depth is None:
        raise ConversionError(f'pretrained.layer3 has {len(blocks)} blocks; '
                              'expected 6 (ResNet-50), 23 (101) or 36 (152)')
    classifier = CLASSIFIER_KEY[heads[0]]
    if classifier not in state_dict:
        raise ConversionError(f'classifier weight {classifier} is missing')
    return Architecture(
        head=heads[0],
        neck=neck,
        depth=depth,
        num_classes=state_dict[classifier].shape[0],
        aux=any(k.startswith('auxlayer.') for k in keys),
        se_loss='head.encmodule.selayer.weight' in keys,
        lateral=any(k.startswith('head.connect.') for k in keys))


def rename_keys(state_dict: Dict[str, torch.Tensor],
                arch: Architecture) -> Dict[str, torch.Tensor]:
    """Apply the renaming rules; keys no rule covers are an error."""
    rules = COMMON_RULES + NECK_RULES[arch.neck] + HEAD_RULES[arch.head]
    converted, unknown = {}, []
    for key, value in state_dict.items():
        if key.startswith(UNUSED_PREFIXES):
            continue
        for pattern, replacement in rules:
            new_key, count = re.subn('^' + pattern, replacement, key)
            if count:
                converted[new_key] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise ConversionError('keys of no known official FastFCN module: '
                              f'{_listing(unknown)}')
    return converted


def base_config(arch: Architecture) -> Path:
    dataset = DATASET_BY_CLASSES.get(arch.num_classes)
    if dataset is None:
        raise ConversionError(
            f'no config for {arch.num_classes} classes: supported are 59 '
            '(Pascal Context) and 150 (ADE20K)')
    return config_file(f'fastfcn_official/fastfcn-official_r50-d32_jpu_'
                       f'{arch.head}_{dataset}.py')


def config_text(arch: Architecture) -> str:
    """A config inheriting the package's official config for ``arch``."""
    model = [f'backbone=dict(depth={arch.depth})']
    if arch.neck == 'jpu_x':
        model.append("neck=dict(_delete_=True, type='JointPyramidUpsamplingX',"
                     ' in_channels=(512, 1024, 2048), widths=(256, 512), '
                     'dilations=((1, 2, 4), (2, 4, 8)), align_corners=True, '
                     'norm_cfg=norm_cfg)')
    head = [f'num_classes={arch.num_classes}']
    if arch.head == 'enc':
        head += [f'use_se_loss={arch.se_loss}', f'add_lateral={arch.lateral}']
    model.append(f'decode_head=dict({", ".join(head)})')
    model.append(f'auxiliary_head=dict(num_classes={arch.num_classes})'
                 if arch.aux else 'auxiliary_head=None')
    body = ',\n    '.join(model)
    return (f'# Converted official FastFCN model: {arch.describe()}.\n'
            f"_base_ = '{base_config(arch)}'\n"
            "norm_cfg = dict(type='SyncBN', requires_grad=True)\n"
            f'model = dict(\n    {body})\n')


def write_config(arch: Architecture, config_out: Path) -> None:
    """Write the config of ``arch``, self-contained: its base configs are
    resolved, so it does not depend on where mmseg_jpu is installed."""
    with tempfile.TemporaryDirectory() as folder:
        inheriting = Path(folder) / config_out.name
        inheriting.write_text(config_text(arch))
        cfg = Config.fromfile(str(inheriting))
    config_out.write_text(
        f'# Converted official FastFCN model: {arch.describe()}.\n'
        f'# Made from mmseg_jpu\'s {base_config(arch).name}.\n' +
        cfg.pretty_text)


def check_against_model(state_dict: Dict[str, torch.Tensor],
                        config: Path) -> None:
    """Build the config's model and require an exact key and shape match."""
    cfg = Config.fromfile(str(config))
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    expected = model.state_dict()
    missing = set(expected) - set(state_dict)
    unexpected = set(state_dict) - set(expected)
    mismatched = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(expected[k].shape)}'
        for k in set(expected) & set(state_dict)
        if state_dict[k].shape != expected[k].shape
    ]
    problems = []
    if missing:
        problems.append(f'missing: {_listing(missing)}')
    if unexpected:
        problems.append(f'unexpected: {_listing(unexpected)}')
    if mismatched:
        problems.append(f'shape mismatch: {_listing(mismatched)}')
    if problems:
        raise ConversionError('converted weights do not fit the model of '
                              f'{config}: ' + '; '.join(problems))


def convert(src: Path, dst: Path, config_out: Path) -> Architecture:
    """Convert ``src`` into an mmseg checkpoint ``dst`` and its config
    ``config_out``.

    Returns:
        Architecture: What was detected.
    """
    official = load_official_state_dict(src)
    arch = detect_architecture(official)
    state_dict = rename_keys(official, arch)
    config_out = Path(config_out)
    config_out.parent.mkdir(parents=True, exist_ok=True)
    write_config(arch, config_out)
    try:
        check_against_model(state_dict, config_out)
    except ConversionError:
        config_out.unlink()
        raise
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        dict(
            meta=dict(
                converted_from=str(src), architecture=arch.describe()),
            state_dict=state_dict), dst)
    return arch


def lateral_note(arch: Architecture) -> List[str]:
    """What the user must know about a converted lateral EncHead."""
    if not arch.lateral:
        return []
    return [
        'The official lateral EncHead concatenates stride-8 and stride-16 '
        'maps without resizing, so it cannot run with JPU; the weights were '
        "converted to mmseg's lateral EncHead, which resizes the C4 branch "
        'to the JPU size first. Outputs therefore differ from what the '
        'official code would compute if it could run.'
    ]


def summary(arch: Architecture, dst: Path,
            config_out: Path) -> Tuple[str, ...]:
    return (f'Detected: {arch.describe()}', f'Checkpoint: {dst}',
            f'Config: {config_out}', *lateral_note(arch),
            f'Evaluate: python {mmseg_tool("test.py")} {config_out} {dst}')
