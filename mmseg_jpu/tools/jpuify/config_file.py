# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Read a source config; write the converted one (merged, no ``_base_``,
the plugin in its ``custom_imports``) and its checkpoint."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

import torch

from mmseg_jpu.utils.config_loading import load_config
from .checkpoint import carry, source_state
from .model import JpuifyError, jpuify_model
from .summary import summary_lines

PLUGIN_IMPORTS = ['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading']


@dataclass
class Conversion:
    """The written files and the summary lines of what changed."""
    config: Path
    checkpoint: Optional[Path] = None
    lines: List[str] = field(default_factory=list)


def jpuify(source: str,
           out: Path,
           checkpoint: Optional[Path] = None,
           output_stride: Optional[int] = None,
           flops_shape: Optional[Tuple[int, int]] = None,
           cfg_options: Optional[dict] = None,
           seed: int = 0) -> Conversion:
    """Write the converted config of ``source`` to ``out`` and, with
    ``checkpoint``, the carried checkpoint beside it (``out`` with the suffix
    ``.pth``, which the config's ``load_from`` names). Nothing is written if
    the conversion fails.

    Args:
        source (str): The source config: a file or ``mmseg::path``.
        flops_shape (tuple, optional): ``(H, W)`` to count GFLOPs at.
        cfg_options (dict, optional): Settings merged into the source.
        seed (int): Random seed of the new modules' initialisation.

    Raises:
        FileNotFoundError: If ``source`` is missing.
        JpuifyError: If the config or the checkpoint cannot be converted.
    """
    try:
        cfg = load_config(source, cfg_options)
    except FileNotFoundError:
        raise
    except Exception as error:  # a config is Python: any error can occur
        raise JpuifyError(f'{source} cannot be read as an mmengine config: '
                          f'{type(error).__name__}: ' +
                          ' '.join(str(error).split())) from error
    model = jpuify_model(cfg.model, output_stride)
    result = Conversion(Path(out))
    result.lines = summary_lines(cfg.model, model, flops_shape)
    if checkpoint is not None:
        state = source_state(Path(checkpoint), cfg.model)
        result.checkpoint = result.config.with_suffix('.pth')
        carried, lines = carry(state, cfg.model, model, result.checkpoint,
                               seed)
        # mmengine puts the config's folder there: the pair can be moved
        cfg.load_from = '{{ fileDirname }}/' + result.checkpoint.name
        removed = [f'model.pretrained={model.pretrained!r}'
                   ] if model.get('pretrained') else []
        if model.backbone.pop('init_cfg', None):
            removed.append('model.backbone.init_cfg')
        model.pretrained = None
        result.lines += lines + [
            'load_from   ' + cfg.load_from +
            (f' ({" and ".join(removed)} removed: the checkpoint holds every '
             'weight)' if removed else '')
        ]
    cfg.model = model
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else imports
    imports = PLUGIN_IMPORTS + [i for i in imports if i not in PLUGIN_IMPORTS]
    cfg.custom_imports = dict(imports=imports, allow_failed_imports=False)
    result.config.parent.mkdir(parents=True, exist_ok=True)
    if result.checkpoint:
        torch.save(dict(state_dict=carried), result.checkpoint)
    cfg.dump(result.config)
    return result
