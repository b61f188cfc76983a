# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Tell an official FastFCN checkpoint from an mmseg one by its keys."""
import re
from pathlib import Path
from typing import Any, Dict

from .errors import CheckpointKindError


def state_dict_of(checkpoint: Any) -> Dict[str, Any]:
    """The state dict of a Runner checkpoint or a bare state dict, without
    ``module.`` (what ``DataParallel`` adds); empty if there is none."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else None
    if not isinstance(state, dict):
        return {}
    return {re.sub(r'^module\.', '', str(k)): v for k, v in state.items()}


def check_kind(path: Path, checkpoint: Any, official_fastfcn: bool) -> None:
    """Raise ``CheckpointKindError`` for an official FastFCN checkpoint
    where an mmseg one is expected, and the reverse."""
    prefixes = {key.split('.', 1)[0] for key in state_dict_of(checkpoint)}
    official = 'pretrained' in prefixes and prefixes & {'jpu', 'head'}
    if not official_fastfcn and official:
        raise CheckpointKindError(
            f'{path} is an official FastFCN checkpoint (keys pretrained.*, '
            'jpu.*, head.*), not an mmseg one: mmseg would load none of its '
            'weights, whose modules have other names. Convert it first: '
            f'python tools/convert_fastfcn.py {path} CONVERTED.pth '
            '--config-out CONVERTED_CONFIG.py, then use CONVERTED.pth with '
            'CONVERTED_CONFIG.py.')
    if official_fastfcn and 'decode_head' in prefixes:
        raise CheckpointKindError(
            f'{path} is an mmseg checkpoint (keys backbone.*, decode_head.*), '
            'not an official FastFCN one: it needs no conversion. Use it '
            "directly with its config: mmseg's tools/test.py CONFIG "
            f'{path}, tools/infer.py IMAGE CONFIG {path} --out mask.png, or '
            f"load_from = '{path}' in a config.")
