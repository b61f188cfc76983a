# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Read a source config; write the converted one, merged (no ``_base_``)
with the plugin in its ``custom_imports``, and its checkpoint."""
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

import torch

from mmseg_jpu.utils.config_loading import load_config
from .checkpoint import carry, source_state
from .errors import JpuifyError
from .model import DOCS, jpuify_model
from .summary import summary_lines

PLUGIN_IMPORTS = ['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading']


@dataclass
class Conversion:
    """The written files and what changed."""
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
    """Write the converted config of ``source`` to ``out``; with
    ``checkpoint``, also the converted checkpoint beside it (``out`` with
    the suffix ``.pth``), which the config's ``load_from`` names. Nothing
    is written if the conversion fails.

    Args:
        source (str): The source config: a file or ``mmseg::path``.
        cfg_options (dict, optional): Settings merged into the source
            config first (the parsed ``--cfg-options``).
        seed (int): Random seed of the new modules' initialisation.

    Raises:
        FileNotFoundError: If ``source`` or ``checkpoint`` is missing.
        JpuifyError: If the config or the checkpoint cannot be converted.
    """
    try:
        cfg = load_config(source, cfg_options)
    except FileNotFoundError:
        raise
    except Exception as error:  # a config is Python: any error can occur
        text = (str(error).strip() or '\n').splitlines()[0]
        raise JpuifyError(f'{source} cannot be read as an mmengine config: '
                          f'{type(error).__name__}: {text}') from error
    model = jpuify_model(cfg.model, output_stride)
    out = Path(out)
    result = Conversion(out, lines=summary_lines(cfg.model, model,
                                                 flops_shape))
    if checkpoint is not None:
        state = source_state(Path(checkpoint), cfg.model)
        result.checkpoint = out.with_suffix('.pth')
        carried, lines = carry(state, cfg.model, model, result.checkpoint,
                               seed)
        # mmengine puts the config's folder there: the pair can be moved
        cfg.load_from = '{{ fileDirname }}/' + result.checkpoint.name
        result.lines += [*lines, 'load_from   ' + cfg.load_from +
                         _without_pretrained(model)]
    cfg.model = model
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else imports
    imports = PLUGIN_IMPORTS + [i for i in imports if i not in PLUGIN_IMPORTS]
    cfg.custom_imports = dict(imports=imports, allow_failed_imports=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    if result.checkpoint:
        meta = dict(source_config=source, seed=seed,
                    source_checkpoint=Path(checkpoint).name)
        partial = result.checkpoint.with_name(result.checkpoint.name +
                                              '.partial')
        torch.save(dict(meta=dict(jpuify=meta), state_dict=carried), partial)
        os.replace(partial, result.checkpoint)  # complete or not at all
    made_from = source if '::' in source else Path(source).name
    out.write_text(f"# Written by mmseg_jpu's tools/jpuify.py ({DOCS}) from\n"
                   f'# {made_from}\n' + cfg.pretty_text)
    return result


def _without_pretrained(model) -> str:
    """Remove the ImageNet initialisation, which the carried checkpoint
    overwrites whole; say what was removed."""
    removed = [f'model.pretrained={model.pretrained!r}'
               ] if model.get('pretrained') else []
    if model.backbone.pop('init_cfg', None):
        removed.append('model.backbone.init_cfg')
    model.pretrained = None
    return (f' ({" and ".join(removed)} removed: the checkpoint holds every '
            'weight)' if removed else '')
