# Copyright (c) mmseg_jpu contributors. All rights reserved.
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AnyDeviceAmpOptimWrapper(AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` on the device mmengine trains on, CPU
    included (float16 with loss scaling, or bfloat16).

    Args:
        loss_scale (str | float | dict): ``'dynamic'``, a fixed float scale
            or ``torch.amp.GradScaler`` arguments. Defaults to 'dynamic'.
        dtype (str | torch.dtype, optional): float16 or bfloat16; None is
            torch's default for the device. Defaults to None.
        **kwargs: ``OptimWrapper``'s arguments.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 **kwargs) -> None:
        # AmpOptimWrapper.__init__ asserts a GPU: set its attributes here
        super(AmpOptimWrapper, self).__init__(**kwargs)
        self.device_type = get_device()
        dtype = str(dtype).replace('torch.', '') if dtype else None
        if dtype not in (None, 'float16', 'bfloat16'):
            raise ValueError(f'optim_wrapper.dtype={dtype!r} is not '
                             "supported: use 'float16', 'bfloat16' or None")
        self.cast_dtype = (getattr(torch, dtype) if dtype else
                           torch.get_autocast_dtype(self.device_type))
        # GradScaler.update's argument: None adapts the scale, a float fixes it
        self._scale_update_param = None
        if isinstance(loss_scale, float):
            self._scale_update_param = loss_scale
            loss_scale = dict(init_scale=loss_scale)
        elif loss_scale == 'dynamic':
            loss_scale = {}
        self.loss_scaler = torch.amp.GradScaler(self.device_type, **loss_scale)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        """Gradient accumulation context and autocast to ``cast_dtype``."""
        with OptimWrapper.optim_context(self, model), torch.autocast(
                self.device_type, dtype=self.cast_dtype):
            yield
