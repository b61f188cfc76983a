# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The README's "Use JPU in your own configs" snippet works as written on a
dilated config of mmseg's zoo."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmseg_jpu.tools.jpuify.levels import build_model
from mmseg_jpu.utils.config_loading import scope_config_root
from .conftest import REPO_ROOT

MMSEG_CONFIGS = scope_config_root('mmseg')
SECTION = '## Use JPU in your own configs'
DILATED = [
    'pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py',
    'deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py',
]


def readme_snippet() -> str:
    """The first Python block of the README section."""
    readme = (REPO_ROOT / 'README.md').read_text()
    section = readme[readme.index(SECTION):]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def _config(tmp_path: Path, source: str, snippet: str) -> Config:
    config = tmp_path / 'own_config.py'
    config.write_text(f"_base_ = '{MMSEG_CONFIGS / source}'\n{snippet}")
    return Config.fromfile(str(config))


def _logits(model_cfg):
    model = build_model(model_cfg, meta=False)
    model.eval()
    with torch.no_grad():
        return model(torch.randn(1, 3, 64, 64), mode='tensor'), model


@pytest.mark.slow
@pytest.mark.parametrize('source', DILATED, ids=lambda s: s.split('/')[0])
def test_snippet_turns_a_dilated_config_into_resnet_d32_plus_jpu(
        source, tmp_path):
    cfg = _config(tmp_path, source, readme_snippet())
    assert cfg.custom_imports.imports[0] == 'mmseg_jpu'
    logits, model = _logits(cfg.model)
    source_logits, _ = _logits(Config.fromfile(str(MMSEG_CONFIGS /
                                                    source)).model)
    assert type(model.backbone).__name__ == 'ResNetD32'
    assert type(model.neck).__name__ == 'JointPyramidUpsampling'
    assert logits.shape == source_logits.shape  # stride 8, as the source


def test_snippet_needs_its_delete_key(tmp_path):
    without = readme_snippet().replace('_delete_=True, ', '')
    cfg = _config(tmp_path, DILATED[0], without)
    with pytest.raises(ValueError, match='ResNetD32 does not accept strides'):
        build_model(cfg.model, meta=True)
