# Copyright (c) mmseg_jpu contributors. All rights reserved.
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmseg.registry import OPTIM_WRAPPERS

AMP_DTYPE_NAMES = ('float16', 'bfloat16')


def _autocast_dtype(dtype: Union[str, torch.dtype, None],
                    device_type: str) -> torch.dtype:
    """``dtype`` as a torch dtype; None is torch's default for the device
    (float16 on CUDA, bfloat16 on CPU)."""
    if dtype is None:
        return torch.get_autocast_dtype(device_type)
    name = dtype if isinstance(dtype, str) else str(dtype).replace(
        'torch.', '')
    if name not in AMP_DTYPE_NAMES:
        raise ValueError(f'optim_wrapper.dtype={dtype!r} is not supported: '
                         f'use one of {AMP_DTYPE_NAMES} (or None)')
    return getattr(torch, name)


def _grad_scaler_args(loss_scale: Union[str, float, dict]) -> dict:
    if loss_scale == 'dynamic':
        return {}
    if isinstance(loss_scale, float):
        return dict(init_scale=loss_scale)
    if isinstance(loss_scale, dict):
        return loss_scale
    raise TypeError('optim_wrapper.loss_scale must be "dynamic", a float or '
                    f'a dict of GradScaler arguments, got {loss_scale!r}')


@OPTIM_WRAPPERS.register_module()
class AnyDeviceAmpOptimWrapper(AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` on whatever device mmengine trains on,
    CPU included.

    mmengine's ``AmpOptimWrapper`` asserts a GPU (or NPU, MLU, MUSA) and its
    ``autocast`` allows only bfloat16 on CPU. This wrapper autocasts with
    ``torch.autocast`` on ``mmengine.device.get_device()`` and scales the
    loss with ``torch.amp.GradScaler`` for that device, so float16 with
    loss scaling and bfloat16 train on CPU as on GPU. Backward, step
    (skipped when the scaled gradients overflow) and the state dict, which
    saves the scaler for resuming, are ``AmpOptimWrapper``'s.

    Args:
        loss_scale (str | float | dict): ``'dynamic'`` (the scale adapts to
            overflows), a float (a fixed scale) or a dict of
            ``torch.amp.GradScaler`` arguments. Defaults to ``'dynamic'``.
        dtype (str | torch.dtype, optional): ``'float16'`` or
            ``'bfloat16'``; None takes torch's default for the device
            (float16 on CUDA, bfloat16 on CPU). Defaults to None.
        **kwargs: ``OptimWrapper``'s arguments (``optimizer``,
            ``clip_grad``, ``accumulative_counts``).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 **kwargs) -> None:
        # AmpOptimWrapper.__init__ (mmengine 0.10.7 and 0.10.12) asserts a
        # GPU, NPU, MLU or MUSA and builds a CUDA GradScaler, so the
        # attributes it sets are set here for the training device.
        OptimWrapper.__init__(self, **kwargs)
        self.device_type = get_device()
        self.cast_dtype = _autocast_dtype(dtype, self.device_type)
        self.loss_scaler = torch.amp.GradScaler(
            self.device_type, **_grad_scaler_args(loss_scale))
        # AmpOptimWrapper.step passes it to GradScaler.update: None lets the
        # scale adapt, a float keeps it fixed.
        self._scale_update_param = (
            loss_scale if isinstance(loss_scale, float) else None)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        """Gradient accumulation context and autocast to ``cast_dtype``."""
        with OptimWrapper.optim_context(self, model), torch.autocast(
                self.device_type, dtype=self.cast_dtype):
            yield
