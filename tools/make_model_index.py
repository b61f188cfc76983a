# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Regenerate model-index.yml and configs/*/metafile.yaml from the configs
(run after adding or renaming a config)."""
from pathlib import Path

from mmseg_jpu.tools.model_index import write_model_index

if __name__ == '__main__':
    for path in write_model_index(Path(__file__).resolve().parents[1]):
        print(path)
