# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from torch.nn.modules.batchnorm import SyncBatchNorm

from mmseg.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's ``MMDistributedDataParallel`` for CPU processes (gloo).

    PyTorch's ``SyncBatchNorm`` runs on GPUs only, so its layers are
    reverted to ``BatchNorm`` (statistics per process), with a one-line
    notice. ``tools/train.py`` and ``tools/test.py`` select it for
    ``--launcher pytorch`` on a machine without CUDA.

    Args:
        module (nn.Module): The model, on the CPU.
        **kwargs: ``MMDistributedDataParallel``'s arguments
            (``device_ids=None`` on CPUs).
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
