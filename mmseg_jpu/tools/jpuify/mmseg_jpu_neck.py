# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg's own ``JPU`` neck (its ``fastfcn/*`` configs), read as a source.

mmseg's ``JPU`` fuses backbone levels ``start_level`` to ``end_level`` and
outputs the fused levels but the last, then the JPU feature; our
``JointPyramidUpsampling`` outputs every level, then the JPU feature. Its
layers are ours, wrapped in one more ``Sequential``, and it concatenates the
levels shallowest first where ours (as the official FastFCN) concatenates
them deepest first: :func:`mmseg_jpu_weights` re-keys the weights and
re-orders the channel blocks the dilation branches read, so a trained
mmseg ``JPU`` computes the same feature in ours.
"""
import re
from typing import Dict, Tuple

import torch
from mmengine.config import ConfigDict

MMSEG_JPU = 'JPU'
#: our neck's arguments taken over from mmseg's, under their names here
SETTINGS = dict(
    width='mid_channels',
    dilations='dilations',
    align_corners='align_corners',
    conv_cfg='conv_cfg',
    norm_cfg='norm_cfg',
    act_cfg='act_cfg')
#: mmseg's defaults for the settings a config may leave out
DEFAULTS = dict(
    mid_channels=512,
    dilations=(1, 2, 4, 8),
    align_corners=False,
    norm_cfg=dict(type='BN'))


def fused_levels(neck: ConfigDict, num_inputs: int) -> Tuple[int, int]:
    """``(start, end)``: the backbone outputs (positions) an mmseg ``JPU``
    fuses; it outputs those from ``start`` to ``end - 2``, then the JPU
    feature."""
    end = neck.get('end_level', -1)
    return neck.get('start_level', 0), num_inputs if end == -1 else end


def neck_settings(neck: ConfigDict) -> dict:
    """Our neck's arguments that keep an mmseg ``JPU``'s behaviour."""
    settings = {}
    for ours, theirs in SETTINGS.items():
        value = neck.get(theirs, DEFAULTS.get(theirs))
        if value is not None:
            settings[ours] = value
    return settings


def mmseg_jpu_weights(state: Dict[str, torch.Tensor],
                      width: int,
                      prefix: str = 'neck.'
                      ) -> Dict[str, Tuple[str, torch.Tensor]]:
    """Our neck's tensors from an mmseg ``JPU``'s.

    Args:
        state (dict): The source state dict (any keys; those under
            ``prefix`` are read).
        width (int): ``mid_channels`` of the mmseg neck.
        prefix (str): Key prefix of the neck.

    Returns:
        dict: Our key -> (the source key, the tensor in our layout).
    """
    converted = {}
    for key, tensor in state.items():
        if not key.startswith(prefix):
            continue
        ours = re.sub(r'^(conv_layers|dilation_layers)\.(\d+)\.0\.', r'\1.\2.',
                      key[len(prefix):])
        converted[prefix + ours] = (key, _deepest_first(ours, tensor, width))
    return converted


def _deepest_first(key: str, tensor: torch.Tensor,
                   width: int) -> torch.Tensor:
    """Re-order the channel blocks of ``width`` that a
    dilation branch reads: mmseg concatenates the levels shallowest first,
    ours deepest first."""
    if not key.startswith('dilation_layers.') or tensor.dim() == 0:
        return tensor
    if '.depthwise_conv.' in key:
        dim = 0
    elif key.endswith('pointwise_conv.conv.weight'):
        dim = 1
    else:
        return tensor
    return torch.cat(tensor.split(width, dim=dim)[::-1], dim=dim)
