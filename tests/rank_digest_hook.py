# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""A hook for the distributed tests: after training, each rank writes its
world size, iteration, last loss and a digest of its parameters to
``WORK_DIR/rank{RANK}.json``. Imported by the test config's
``custom_imports`` (the tests folder on ``PYTHONPATH``)."""
import hashlib
import json
from pathlib import Path

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS


@HOOKS.register_module()
class RankDigestHook(Hook):

    def after_train(self, runner) -> None:
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        digest = hashlib.sha256()
        for name, param in model.named_parameters():
            digest.update(name.encode())
            digest.update(param.detach().cpu().numpy().tobytes())
        record = dict(
            world_size=runner.world_size,
            iter=runner.iter,
            last_loss=runner.message_hub.get_scalar('train/loss').current(),
            digest=digest.hexdigest())
        path = Path(runner.work_dir) / f'rank{get_rank()}.json'
        path.write_text(json.dumps(record))
