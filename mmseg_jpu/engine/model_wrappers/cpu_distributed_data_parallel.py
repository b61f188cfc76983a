# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from torch.nn.modules.batchnorm import SyncBatchNorm

from mmseg.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's ``MMDistributedDataParallel`` for CPU processes (gloo),
    with ``SyncBatchNorm`` (GPU only) reverted to ``BatchNorm``.

    Args:
        module (nn.Module): The model, on the CPU.
        **kwargs: ``MMDistributedDataParallel``'s arguments.
    """

    def __init__(self, module, **kwargs) -> None:
        if any(isinstance(m, SyncBatchNorm) for m in module.modules()):
            print_log(
                'SyncBN works on GPUs only: its layers are converted to '
                'BatchNorm for this CPU run (statistics per process)',
                logger='current')
            module = revert_sync_batchnorm(module)
        super().__init__(module=module, **kwargs)
