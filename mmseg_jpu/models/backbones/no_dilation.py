# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The one rule of the stride-32 backbones (``ResNetD32``, ``ResNeStD32``,
``MobileNetV2D32``): they keep the ImageNet layout (every stage strided as
in classification, no dilation), so the arguments that would change the
output stride or add dilation are refused, naming the keys and the dilated
mmseg class to use instead."""
from typing import Mapping, Sequence

#: ResNet arguments that would change the output stride or add dilation.
RESNET_STRIDE_ARGS = ('strides', 'dilations', 'contract_dilation',
                      'multi_grid', 'num_stages')


def refuse_stride_changing_args(backbone: str, family: str, dilated_type: str,
                                refused_keys: Sequence[str],
                                kwargs: Mapping) -> None:
    """Raise if ``kwargs`` holds any of ``refused_keys``.

    Args:
        backbone (str): The stride-32 class, e.g. ``'ResNetD32'``.
        family (str): What it is, e.g. ``'ResNet'``.
        dilated_type (str): The mmseg class that accepts these keys.
        refused_keys (Sequence[str]): Arguments the class refuses.
        kwargs (Mapping): The arguments it was given.

    Raises:
        ValueError: Naming the refused keys and ``dilated_type``.
    """
    refused = [key for key in refused_keys if key in kwargs]
    if refused:
        raise ValueError(
            f'{backbone} does not accept {", ".join(refused)}: it is a '
            f'stride-32 {family} without dilation. Remove these keys, or use '
            f'type={dilated_type!r} for a dilated backbone.')
