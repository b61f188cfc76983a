# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Turn an mmseg config with a dilated ResNet into its FastFCN version:
a stride-32 ``ResNetD32`` plus ``JointPyramidUpsampling``, with the heads
rewired to read the JPU feature where they read C5.

The JPU recovers the source's output stride: C3-C5 are fused at stride 8
for a d8 config, C4-C5 at stride 16 for a d16 one."""
import copy
from pathlib import Path
from typing import List, Sequence, Union

import mmseg
from mmengine.config import Config, ConfigDict

RESNETS = {'ResNet', 'ResNetV1c', 'ResNetV1d'}
LAST_STAGE = 3
#: output stride of the source -> the stages the JPU fuses
JPU_STAGES = {8: (1, 2, 3), 16: (2, 3)}


class JpuifyError(ValueError):
    """The config cannot be converted; the message says why."""


def resolve_config(source: str) -> Path:
    """A config path, or ``mmseg::path`` inside the installed mmseg's
    configs (both stacks install them under ``mmseg/.mim/configs``)."""
    if source.startswith('mmseg::'):
        path = (Path(mmseg.__file__).parent / '.mim' / 'configs' /
                source[len('mmseg::'):])
    else:
        path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f'config not found: {path}')
    return path


def _output_stride(backbone: ConfigDict) -> int:
    strides = backbone.get('strides', (1, 2, 2, 2))
    stride = 4
    for s in strides:
        stride *= s
    return stride


def _check_convertible(model: ConfigDict) -> None:
    backbone = model.get('backbone', {})
    if backbone.get('type') not in RESNETS:
        raise JpuifyError(
            f'backbone {backbone.get("type")!r} is not a ResNet '
            f'({", ".join(sorted(RESNETS))}); only dilated ResNets can be '
            'replaced by ResNetD32 + JPU')
    stride = _output_stride(backbone)
    if stride == 32:
        raise JpuifyError('the backbone already has output stride 32 '
                          f'(strides {backbone.get("strides")}): nothing to '
                          'convert')
    if stride not in JPU_STAGES:
        raise JpuifyError(f'output stride {stride} is not supported; '
                          'convertible configs have stride 8 or 16')
    if model.get('neck'):
        raise JpuifyError(f'unknown neck {model.neck.get("type")!r}: a '
                          'dilated ResNet config to convert has no neck')
    if model.get('type') != 'EncoderDecoder':
        raise JpuifyError(f'segmentor {model.get("type")!r} is not '
                          'EncoderDecoder')


def _stage_channels(backbone: ConfigDict) -> List[int]:
    expansion = 1 if backbone.depth in (18, 34) else 4
    base = backbone.get('base_channels', 64)
    return [base * 2**i * expansion for i in range(4)]


def _rewire(index: Union[int, Sequence[int]], old: Sequence[int],
            new: Sequence[int], jpu_index: int):
    """Map head input indices from the old to the new neck outputs; the last
    stage (C5) becomes the JPU feature."""
    def one(i):
        stage = old[i]
        return jpu_index if stage == LAST_STAGE else new.index(stage)

    if isinstance(index, int):
        return one(index)
    return type(index)(one(i) for i in index)


def _heads(model: ConfigDict) -> List[ConfigDict]:
    aux = model.get('auxiliary_head') or []
    return [model.decode_head] + (aux if isinstance(aux, list) else [aux])


def jpuify_model(model: ConfigDict) -> ConfigDict:
    """The converted ``model`` dict (the input is left unchanged)."""
    _check_convertible(model)
    model = copy.deepcopy(model)
    backbone = model.backbone
    fused = JPU_STAGES[_output_stride(backbone)]
    old = list(backbone.get('out_indices', (0, 1, 2, 3)))
    new = sorted(set(old) | set(fused))
    channels = _stage_channels(backbone)
    width = channels[LAST_STAGE] // 4  # JPU output = C5 channels
    model.backbone = ConfigDict(
        type='ResNetD32',
        depth=backbone.depth,
        stem_channels=backbone.get('stem_channels', 64),
        base_channels=backbone.get('base_channels', 64),
        out_indices=tuple(new),
        norm_cfg=backbone.get('norm_cfg', dict(type='BN')),
        norm_eval=backbone.get('norm_eval', False),
        deep_stem=backbone.type != 'ResNet',
        avg_down=backbone.type == 'ResNetV1d',
        init_cfg=backbone.get('init_cfg'))
    model.neck = ConfigDict(
        type='JointPyramidUpsampling',
        in_channels=tuple(channels[s] for s in new),
        start_level=new.index(fused[0]),
        width=width,
        dilations=(1, 2, 4, 8),
        norm_cfg=backbone.get('norm_cfg', dict(type='BN')))
    for head in _heads(model):
        head.in_index = _rewire(head.in_index, old, new, len(new))
    return model


def jpuify(source: str, out: Path) -> Path:
    """Write the converted config of ``source`` to ``out``."""
    cfg = Config.fromfile(str(resolve_config(source)))
    cfg.model = jpuify_model(cfg.model)
    cfg.custom_imports = dict(
        imports=['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading'],
        allow_failed_imports=False)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg.dump(str(out))
    return out
