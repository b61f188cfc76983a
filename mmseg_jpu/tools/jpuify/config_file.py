# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Read a source config, write the converted one (and its checkpoint).

The written config is the source's, merged (no ``_base_``), with the
converted model and the plugin in ``custom_imports``. With a checkpoint it
also holds ``load_from = '{{ fileDirname }}/<name>.pth'``: mmengine replaces
``{{ fileDirname }}`` with the folder of the config when it loads it, so
the pair works from any working directory and after being moved together,
and the config names no absolute path.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from mmseg_jpu.utils.config_loading import load_config
from .checkpoint import carry, check_fits, read_state_dict, write_checkpoint
from .errors import JpuifyError
from .model import jpuify_model
from .summary import summary_lines

PLUGIN_IMPORTS = ['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading']
LOAD_FROM = '{{{{ fileDirname }}}}/{name}'


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
    the suffix ``.pth``), which the config's ``load_from`` names.

    Args:
        source (str): The source config: a file or ``mmseg::path``.
        cfg_options (dict, optional): Settings merged into the source
            config first (the parsed ``--cfg-options``).
        seed (int): Random seed of the new modules' initialisation.

    Raises:
        FileNotFoundError: If ``source`` or ``checkpoint`` is missing.
        JpuifyError: If the config or the checkpoint cannot be converted.
    """
    cfg = _read(source, cfg_options)
    model = jpuify_model(cfg.model, output_stride)
    out = Path(out)
    result = Conversion(out, lines=summary_lines(cfg.model, model,
                                                 flops_shape))
    if checkpoint is not None:
        state = read_state_dict(Path(checkpoint))
        check_fits(state, cfg.model, Path(checkpoint))
        carried, report = carry(state, cfg.model, model, seed)
        result.checkpoint = report.path = out.with_suffix('.pth')
        cfg.load_from = LOAD_FROM.format(name=result.checkpoint.name)
        result.lines += report.lines()
        result.lines.append('load_from   ' + cfg.load_from +
                            _without_pretrained(model))
    cfg.model = model
    cfg.custom_imports = _with_plugin(cfg.get('custom_imports'))
    out.parent.mkdir(parents=True, exist_ok=True)
    if result.checkpoint:
        write_checkpoint(
            carried, result.checkpoint,
            dict(jpuify=dict(source_config=source,
                             source_checkpoint=Path(checkpoint).name,
                             seed=seed)))
    out.write_text(_header(source) + cfg.pretty_text)
    return result


def _read(source: str, cfg_options: Optional[dict]):
    """The merged source config; an error of its Python (or of its
    ``custom_imports``) as a :class:`JpuifyError`."""
    try:
        return load_config(source, cfg_options)
    except FileNotFoundError:
        raise
    except Exception as error:  # a config is Python: any error can occur
        text = str(error).strip()
        raise JpuifyError(
            f'{source} cannot be read as an mmengine config: '
            f'{type(error).__name__}: {text.splitlines()[0] if text else ""}'
        ) from error


def _header(source: str) -> str:
    made_from = source if '::' in source else Path(
        source).name  # no absolute path in the written config
    return (f"# Written by mmseg_jpu's tools/jpuify.py from\n# {made_from}:\n"
            '# its stride-32 backbone plus JointPyramidUpsampling, the heads '
            'rewired\n# (docs/jpuify.md).\n')


def _without_pretrained(model) -> str:
    """Remove the ImageNet initialisation, which the carried checkpoint
    overwrites whole; say what was removed."""
    removed = []
    if model.get('pretrained'):
        removed.append(f'model.pretrained={model.pretrained!r}')
    if model.backbone.get('init_cfg'):
        removed.append('model.backbone.init_cfg')
    model.pretrained = None
    model.backbone.pop('init_cfg', None)
    if not removed:
        return ''
    return (f' ({" and ".join(removed)} removed: the checkpoint holds every '
            'weight)')


def _with_plugin(custom_imports) -> dict:
    """The source's ``custom_imports`` with the plugin's added."""
    imports = list(PLUGIN_IMPORTS)
    if custom_imports:
        theirs = custom_imports.get('imports', [])
        theirs = [theirs] if isinstance(theirs, str) else theirs
        imports += [name for name in theirs if name not in imports]
    return dict(imports=imports, allow_failed_imports=False)

