# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The heads of a segmentor config that read backbone (or neck) features,
and the rewiring of their ``in_index``.

A decode head may be one dict or, in ``CascadeEncoderDecoder`` (OCRNet), a
list; auxiliary heads likewise. K-Net's ``IterativeDecodeHead`` reads the
features through its ``kernel_generate_head``, which holds the
``in_index``. Every head that reads features is returned with the name of
its config field, so messages and the summary name the field to look at.
"""
import re
from typing import Callable, List, Tuple, Union

from mmengine.config import ConfigDict

from .errors import JpuifyError

Index = Union[int, Tuple[int, ...], List[int]]
#: BaseDecodeHead's in_index when a config leaves it out
DEFAULT_IN_INDEX = -1
#: a head config that reads its features through an inner head
INNER_HEAD = 'kernel_generate_head'


def feature_heads(model: ConfigDict) -> List[Tuple[str, ConfigDict]]:
    """``(field name, head config)`` of every head that reads features."""
    heads = []
    for field in ('decode_head', 'auxiliary_head'):
        value = model.get(field)
        if not value:
            continue
        if isinstance(value, (list, tuple)):
            items = [(f'model.{field}[{i}]', h) for i, h in enumerate(value)]
        else:
            items = [(f'model.{field}', value)]
        for name, head in items:
            while head.get(INNER_HEAD):
                name, head = f'{name}.{INNER_HEAD}', head[INNER_HEAD]
            heads.append((name, head))
    return heads


def in_index(head: ConfigDict) -> Index:
    return head.get('in_index', DEFAULT_IN_INDEX)


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

    if isinstance(index, int):
        head.in_index = one(index)
    else:
        head.in_index = type(index)(one(i) for i in index)


def module_prefix(name: str) -> str:
    """State-dict prefix of the head in config field ``name``:
    ``model.decode_head[1]`` -> ``decode_head.1.``."""
    return re.sub(r'\[(\d+)\]', r'.\1', name[len('model.'):]) + '.'
