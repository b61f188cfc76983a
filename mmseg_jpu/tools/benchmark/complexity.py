# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""FLOPs and parameters with mmengine's analysis tools."""
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import get_model_complexity_info


def complexity(model: nn.Module, size: Tuple[int, int],
               device: torch.device) -> Dict[str, float]:
    """GFLOPs of the segmentor's tensor forward (backbone, neck, decode
    head; mmengine counts one multiply-add as one FLOP, as mmseg's tables
    do) for one ``size`` image, and millions of parameters of the inference
    network (the auxiliary head, used only in training, is left out)."""
    inputs = torch.randn(1, 3, *size, device=device)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=(inputs, ), show_table=False, show_arch=False)
    auxiliary = getattr(model, 'auxiliary_head', None)
    auxiliary_params = sum(
        p.numel() for p in auxiliary.parameters()) if auxiliary else 0
    params = sum(p.numel() for p in model.parameters()) - auxiliary_params
    return dict(gflops=info['flops'] / 1e9, params_m=params / 1e6)
