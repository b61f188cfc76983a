# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The one rule for a multi-level module's ``in_channels``.

As in mmseg's ``FPN`` and ``JPU``, ``in_channels`` lists the channels of
**every** input level, highest resolution first; a ``start_level`` then
picks the levels a module uses. The plugin's necks apply this rule to their
inputs in ``forward``, and
:func:`mmseg_jpu.engine.hooks.segmentor_check_hook.check_segmentor` applies
it to any neck that has an ``in_channels`` sequence, with the config field
in the message.
"""
from typing import Sequence, Tuple

from torch import Tensor


def feature_channels(features: Sequence[Tensor]) -> Tuple[int, ...]:
    """Channels of each feature level."""
    return tuple(int(feature.shape[1]) for feature in features)


def check_input_channels(in_channels: Sequence[int],
                         channels: Sequence[int],
                         owner: str,
                         source: str = 'the previous module') -> None:
    """Raise unless the input levels have exactly ``in_channels`` channels.

    Args:
        in_channels (Sequence[int]): The module's ``in_channels``.
        channels (Sequence[int]): Channels of the levels it is given.
        owner (str): The module's name or config field, e.g.
            ``'model.neck'``.
        source (str): What produces the levels, e.g. ``'model.backbone'``
            (whose ``out_indices`` choose them).

    Raises:
        ValueError: Naming ``<owner>.in_channels``, the channels it gets
            and the value to set.
    """
    in_channels, channels = tuple(in_channels), tuple(channels)
    if in_channels == channels:
        return
    raise ValueError(
        f'{owner}.in_channels={in_channels} does not match its input: '
        f'{source} outputs {len(channels)} levels with channels {channels}. '
        f'Set {owner}.in_channels={channels} (the channels of every input '
        'level, as in mmseg\'s FPN; start_level picks the first one used), '
        f'or change {source}.out_indices to output the levels you meant.')
