# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""8-bit post-training quantisation of an exported model with NNCF,
calibrated on what the network sees at inference::

    quantize_onnx(onnx_file, calibration_inputs(cfg, onnx_file, images),
                  xml_file)
"""
import copy
import logging
import re
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg.apis import inference_model
from mmseg.registry import DATASETS
from ..datasets.dataset_check import leaf_datasets
from .exported_segmentor import ExportedSegmentor
from .onnx_export import RT_INFO_SECTION, read_metadata
from .runtimes import import_deploy_package

#: the fewest calibration images accepted: activation ranges measured on
#: fewer scenes clip the activations of others (NNCF's default is 300)
MIN_IMAGES = 4
#: CPU flags of the instructions that make int8 fast: AVX-512 VNNI,
#: AVX-VNNI, AMX
INT8_CPU_FLAGS = ('avx512_vnni', 'avx_vnni', 'amx_int8')


def int8_cpu_flags(
        cpuinfo: Path = Path('/proc/cpuinfo')) -> Optional[List[str]]:
    """Those of :data:`INT8_CPU_FLAGS` that the CPU has; ``None`` where
    ``cpuinfo`` cannot be read (not Linux)."""
    try:
        found = re.search(r'^flags\s*:(.*)$', cpuinfo.read_text(), re.M)
    except OSError:
        return None
    flags = found.group(1).split() if found else []
    return [flag for flag in INT8_CPU_FLAGS if flag in flags]


def spread(items: Sequence, limit: int) -> list:
    """At most ``limit`` of ``items``, spread evenly over them."""
    if len(items) <= limit:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, limit).round()
            .astype(int)]


def dataset_images(cfg: Config, split: str, limit: int) -> List[str]:
    """At most ``limit`` images of the config's ``split`` dataset
    (``train``, ``val`` or ``test``), spread evenly over it."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    return spread(list(dict.fromkeys(
        info['img_path'] for leaf in leaf_datasets(dataset_cfg)
        for info in DATASETS.build(leaf).load_data_list())), limit)


def calibration_inputs(cfg: Config, model: Path,
                       images: Sequence[Union[str, np.ndarray]]
                       ) -> List[np.ndarray]:
    """The inputs of the network of ``model`` (an fp32 export of ``cfg``)
    when mmseg's ``inference_model`` segments ``images`` (paths, or BGR
    arrays) with the pipeline of the config's test dataloader and its
    ``test_cfg``: one array per whole image or window.

    Raises:
        ValueError: If ``model`` is not an export of ``cfg``.
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
    """Quantise the ONNX file ``model`` to int8 with NNCF's post-training
    quantisation calibrated on all ``inputs`` and save the OpenVINO IR
    ``out`` (``.xml``, and its ``.bin``), the file's metadata kept in its
    ``rt_info``; returns ``out``."""
    openvino = import_deploy_package('openvino')
    nncf = import_deploy_package('nncf')
    nncf.set_log_level(logging.ERROR)
    quantized = nncf.quantize(
        openvino.Core().read_model(str(model)), nncf.Dataset(list(inputs)),
        subset_size=len(inputs))
    metadata = dict(read_metadata(model), quantization=(
        f'int8, NNCF {nncf.__version__} post-training quantisation of '
        f'{Path(model).name} on {len(inputs)} calibration inputs'))
    for key, value in metadata.items():
        quantized.set_rt_info(value, [RT_INFO_SECTION, key])
    openvino.save_model(quantized, str(out), compress_to_fp16=False)
    return Path(out)
