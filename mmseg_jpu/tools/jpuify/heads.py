# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The heads of a segmentor config that read features, and their
``in_index``. A decode head may be a list (``CascadeEncoderDecoder``), and
K-Net's ``IterativeDecodeHead`` reads through its ``kernel_generate_head``.
Each head comes with its config field, which messages name."""
import re
from typing import Callable, List, Tuple, Union

from mmengine.config import ConfigDict

from .errors import JpuifyError

INNER_HEAD = 'kernel_generate_head'


def feature_heads(model: ConfigDict) -> List[Tuple[str, ConfigDict]]:
    """``(config field, head config)`` of every head that reads features."""
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


def in_index(head: ConfigDict) -> Union[int, Tuple[int, ...], List[int]]:
    """The head's ``in_index`` (``BaseDecodeHead``'s default: -1)."""
    return head.get('in_index', -1)


def rewire(name: str, head: ConfigDict, num_inputs: int,
           new_index: Callable[[int], int]) -> None:
    """Set ``head.in_index`` to the new position of each feature it read.

    Args:
        name (str): The head's config field, for messages.
        head (ConfigDict): The head config, changed in place.
        num_inputs (int): Number of features the source model gave it.
        new_index (callable): Source position (>= 0) -> new position.

    Raises:
        JpuifyError: If an index is out of range for the source model.
    """
    index = in_index(head)

    def one(i: int) -> int:
        if not -num_inputs <= i < num_inputs:
            raise JpuifyError(
                f'{name}.in_index={index!r} is out of range: the source '
                f'model gives its heads {num_inputs} features. Fix the '
                'source config first (it would not run either)')
        return new_index(i % num_inputs)

    head.in_index = one(index) if isinstance(index, int) else type(index)(
        one(i) for i in index)


def module_prefix(name: str) -> str:
    """State-dict prefix of the head in config field ``name``:
    ``model.decode_head[1]`` -> ``decode_head.1.``."""
    return re.sub(r'\[(\d+)\]', r'.\1', name[len('model.'):]) + '.'
