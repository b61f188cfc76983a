# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from torch.nn.modules.batchnorm import SyncBatchNorm

from mmseg.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's ``MMDistributedDataParallel`` for processes that train on
    CPUs (the gloo backend).

    PyTorch's ``SyncBatchNorm`` works with GPU modules only, so its layers
    are reverted to ``BatchNorm`` (each process then normalises with the
    statistics of its own batch), with a one-line notice; everything else is
    mmengine's wrapper. ``tools/train.py`` and ``tools/test.py`` select it
    for processes launched with ``--launcher pytorch`` on a machine without
    CUDA, as ``model_wrapper_cfg=dict(type='mmseg.CPUDistributedDataParallel',
    device_ids=None)``.

    Args:
        module (nn.Module): The model, on the CPU.
        **kwargs: Passed to ``MMDistributedDataParallel`` (``device_ids``
            must be None on CPUs).
    """

    def __init__(self, module, **kwargs) -> None:
        if any(isinstance(m, SyncBatchNorm) for m in module.modules()):
            print_log(
                'SyncBN works on GPUs only: its layers are converted to '
                'BatchNorm for this CPU run (statistics per process, of '
                'its own batch)',
                logger='current')
            module = revert_sync_batchnorm(module)
        super().__init__(module=module, **kwargs)
