# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The heads of a segmentor config that read features."""
from typing import List, Tuple

from mmengine.config import ConfigDict

INNER_HEAD = 'kernel_generate_head'


def feature_heads(model: ConfigDict) -> List[Tuple[str, ConfigDict]]:
    """``(config field, head config)`` of every head that reads features:
    a decode head may be a list (``CascadeEncoderDecoder``), and K-Net's
    ``IterativeDecodeHead`` reads through its ``kernel_generate_head``."""
    heads = []
    for field in ('decode_head', 'auxiliary_head'):
        value = model.get(field) or []
        listed = isinstance(value, (list, tuple))
        for i, head in enumerate(value if listed else [value]):
            name = f'model.{field}' + (f'[{i}]' if listed else '')
            while head.get(INNER_HEAD):
                name, head = f'{name}.{INNER_HEAD}', head[INNER_HEAD]
            heads.append((name, head))
    return heads
