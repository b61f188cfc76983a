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

import mmseg
from mmengine.config import Config

from .checkpoint import carry, check_fits, read_state_dict, write_checkpoint
from .errors import JpuifyError
from .model import jpuify_model
from .summary import summary_lines

MMSEG_PREFIX = 'mmseg::'
#: where both stacks install mmseg's configs
MMSEG_CONFIGS = Path(mmseg.__file__).parent / '.mim' / 'configs'
PLUGIN_IMPORTS = ['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading']
LOAD_FROM = '{{{{ fileDirname }}}}/{name}'


@dataclass
class Conversion:
    """The written files and what changed."""
    config: Path
    checkpoint: Optional[Path] = None
    lines: List[str] = field(default_factory=list)


def resolve_config(source: str) -> Path:
    """A config path, or ``mmseg::path`` inside the installed mmseg's
    configs (both stacks install them under ``mmseg/.mim/configs``).

    Raises:
        FileNotFoundError: If there is no such file.
    """
    if source.startswith(MMSEG_PREFIX):
        path = MMSEG_CONFIGS / source[len(MMSEG_PREFIX):]
    else:
        path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f'config not found: {path}')
    return path


def read_config(source: str, import_custom_modules: bool = True) -> Config:
    """The source config, merged.

    Raises:
        FileNotFoundError: If there is no such file.
        JpuifyError: If it cannot be read or its ``custom_imports`` fail.
    """
    path = resolve_config(source)
    try:
        return Config.fromfile(
            str(path), import_custom_modules=import_custom_modules)
    except ImportError as error:
        raise JpuifyError(
            f'{source}: its custom_imports cannot be imported '
            f'({_first_line(error)}); install what it imports') from error
    except Exception as error:  # a config is Python: any error can occur
        raise JpuifyError(f'{source} cannot be read as an mmengine config: '
                          f'{type(error).__name__}: {_first_line(error)}'
                          ) from error


def jpuify(source: str,
           out: Path,
           checkpoint: Optional[Path] = None,
           output_stride: Optional[int] = None,
           flops_shape: Optional[Tuple[int, int]] = None) -> Conversion:
    """Write the converted config of ``source`` to ``out``; with
    ``checkpoint``, also the converted checkpoint beside it (``out`` with
    the suffix ``.pth``), which the config's ``load_from`` names.

    Raises:
        FileNotFoundError: If ``source`` or ``checkpoint`` is missing.
        JpuifyError: If the config or the checkpoint cannot be converted.
    """
    cfg = read_config(source)
    model = jpuify_model(cfg.model, output_stride)
    out = Path(out)
    result = Conversion(out, lines=summary_lines(cfg.model, model,
                                                 flops_shape))
    if checkpoint is not None:
        state = read_state_dict(Path(checkpoint))
        check_fits(state, cfg.model, Path(checkpoint))
        carried, report = carry(state, cfg.model, model)
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
                             source_checkpoint=Path(checkpoint).name)))
    out.write_text(_header(source) + cfg.pretty_text)
    return result


def _header(source: str) -> str:
    made_from = source if source.startswith(MMSEG_PREFIX) else Path(
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


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
