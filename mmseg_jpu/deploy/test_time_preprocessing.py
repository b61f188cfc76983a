# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""mmseg's test-time preprocessing of a config, without the model: the
config's ``test_pipeline`` (e.g. ``Resize`` with ``keep_ratio``) and its
data preprocessor (BGR to RGB, normalisation, padding to ``size_divisor``
when its ``test_cfg`` asks), applied as ``mmseg.apis.inference_model``
applies them."""
import copy
from typing import Dict, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from torch import Tensor

from mmseg.registry import MODELS


class TestTimePreprocessing:
    """``BGR image -> (normalised input, its metainfo)``.

    Args:
        cfg (Config): A segmentation config with ``test_pipeline`` and
            ``model.data_preprocessor``.

    Shape:
        - Input: :math:`(H_0, W_0, 3)` uint8 BGR, as ``mmcv.imread`` gives.
        - Output: :math:`(1, 3, H, W)` float32 and the sample's metainfo
          (``ori_shape``, ``img_shape``, ``padding_size`` where padded).
    """

    def __init__(self, cfg: Config):
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        pipeline = [
            copy.deepcopy(step) for step in cfg.test_pipeline
            if step.get('type') != 'LoadAnnotations'
        ]
        pipeline[0]['type'] = 'LoadImageFromNDArray'
        self.pipeline = Compose(pipeline)
        self.data_preprocessor = MODELS.build(
            copy.deepcopy(cfg.model.data_preprocessor))

    def __call__(self, image: np.ndarray) -> Tuple[Tensor, Dict]:
        data = self.pipeline(dict(img=image))
        batch = self.data_preprocessor(
            dict(inputs=[data['inputs']],
                 data_samples=[data['data_samples']]),
            training=False)
        return batch['inputs'], batch['data_samples'][0].metainfo
