# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""int8 post-training quantisation of an exported model with NNCF."""
import copy
import logging
from pathlib import Path
from typing import List, Sequence, Union

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg.apis import inference_model
from mmseg.registry import DATASETS
from ..datasets.dataset_check import leaf_datasets
from .exported_segmentor import ExportedSegmentor
from .runtimes import import_deploy_package

#: the fewest calibration images accepted
MIN_IMAGES = 4
#: CPU flags of the instructions that make int8 fast
INT8_CPU_FLAGS = ('avx512_vnni', 'avx_vnni', 'amx_int8')


def int8_instructions(cpu_flags: Sequence[str]) -> List[str]:
    """The :data:`INT8_CPU_FLAGS` among ``cpu_flags``."""
    return [flag for flag in INT8_CPU_FLAGS if flag in cpu_flags]


def spread(items: Sequence, limit: int) -> list:
    """At most ``limit`` of ``items``, spread evenly over them."""
    index = np.linspace(0, len(items) - 1, min(limit, len(items)))
    return [items[i] for i in index.round().astype(int)]


def dataset_images(cfg: Config, split: str, limit: int) -> List[str]:
    """At most ``limit`` images of ``split``, spread over it."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    return spread(list(dict.fromkeys(
        info['img_path'] for leaf in leaf_datasets(dataset_cfg)
        for info in DATASETS.build(leaf).load_data_list())), limit)


def calibration_inputs(cfg: Config, model: Path,
                       images: Sequence[Union[str, np.ndarray]]
                       ) -> List[np.ndarray]:
    """The network's inputs (images or windows) when ``inference_model``
    segments ``images`` with ``model``, an export of ``cfg``, and the test
    dataloader's pipeline; ``ValueError`` for an export of another config.
    """
    cfg = copy.deepcopy(cfg)
    cfg.test_pipeline = cfg.test_dataloader.dataset.pipeline
    segmentor = ExportedSegmentor(cfg, model)
    segmentor.check_classes(cfg.test_dataloader.dataset)
    inputs, run = [], segmentor.encode_decode

    def record(batch, metas):
        inputs.append(batch.numpy().copy())
        return run(batch, metas)

    segmentor.encode_decode = record
    for image in images:
        inference_model(segmentor, image)
    return inputs


def quantize_onnx(model: Path, inputs: Sequence[np.ndarray],
                  out: Path) -> Path:
    """Quantise ``model`` calibrated on ``inputs`` to the OpenVINO IR
    ``out``, which keeps the file's metadata; returns ``out``."""
    openvino = import_deploy_package('openvino')
    nncf = import_deploy_package('nncf')
    nncf.set_log_level(logging.ERROR)
    quantized = nncf.quantize(
        openvino.Core().read_model(str(model)), nncf.Dataset(list(inputs)),
        subset_size=len(inputs))
    openvino.save_model(quantized, str(out), compress_to_fp16=False)
    return Path(out)
