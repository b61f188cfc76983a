# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmengine.hooks import Hook

from mmseg.registry import HOOKS
from ...models.utils import check_segmentor, unwrap_segmentor


@HOOKS.register_module()
class SegmentorCheckHook(Hook):
    """Check the segmentor's channels and head indices before the first
    iteration of training, validation or testing.

    Calls :func:`mmseg_jpu.models.utils.check_segmentor` on the Runner's
    model in ``before_run``, so that a neck ``in_channels`` that does not
    match the backbone, or a head ``in_index``/``in_channels`` that does not
    match the features, stops the run with a message naming the config
    field instead of a shape error in the first forward pass. The plugin's
    configs register it in ``default_hooks`` (``segmentor_check``); add it
    to your own config with
    ``default_hooks = dict(segmentor_check=dict(type='SegmentorCheckHook'))``.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        check_segmentor(unwrap_segmentor(runner.model))
