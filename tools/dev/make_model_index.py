# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Developer tool: regenerate ``model-index.yml``, each config folder's
``metafile.yaml`` and the results table of its README.md from the configs
and ``configs/paper_figures.yml``."""
from pathlib import Path
from typing import Dict

import yaml
from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_START = ('<!-- results table: made by tools/dev/make_model_index.py '
               'from configs/paper_figures.yml; do not edit by hand -->')
TABLE_END = '<!-- end of results table -->'
TABLE_HEAD = (
    '| config | backbone | head | crop | iterations | paper row | paper mIoU '
    '| paper mIoU (ms+flip) | paper FPS (Titan Xp) | ours |\n' + '|---' * 10 +
    '|')


def _model(config: Path, repo_root: Path, data: dict) -> dict:
    """The metafile entry of ``config``, with the paper's figures."""
    collection = data['collections'][config.parent.name]
    figures = data['figures'].get(config.stem, {})
    cfg = Config.fromfile(str(config))
    model = cfg.model
    dataset = data['datasets'][cfg.train_dataloader.dataset.type]
    stride = 8 if model.backbone.get('dilations', (1, ))[-1] > 1 else 32
    metadata = {
        'Backbone': f'R-{model.backbone.depth}-D{stride}',
        'Neck': (model.get('neck') or {}).get('type', 'none'),
        'Head': model.decode_head.type,
        'Crop Size': str(tuple(model.data_preprocessor.size)),
        'Lr schd': cfg.train_cfg.max_iters,
        'Training Data': dataset,
    }
    if 'fps' in figures:  # a short key: mim search fits 80 columns
        metadata['inference time on Titan Xp (ms/im)'] = round(
            1000 / figures['fps'], 2)
    metrics = {
        key: figures[key]
        for key in ('mIoU', 'mIoU(ms+flip)') if key in figures
    }
    source = f"{collection['paper']} paper (not measured by this project)"
    return {
        'Name': config.stem,
        'In Collection': collection['name'],
        'Config': config.relative_to(repo_root).as_posix(),
        'Metadata': metadata,
        'Results': [
            dict(
                Task='Semantic Segmentation',
                Dataset=dataset,
                Metrics=metrics,
                Source=source)
        ] if metrics else [],
    }


def _table_row(model: dict, figures: dict) -> str:
    cells = [
        f"[{model['Name']}]({Path(model['Config']).name})",
        *(model['Metadata'][key]
          for key in ('Backbone', 'Head', 'Crop Size', 'Lr schd')),
        *(figures.get(key, '-')
          for key in ('row', 'mIoU', 'mIoU(ms+flip)', 'fps')), '-'
    ]
    return '| ' + ' | '.join(map(str, cells)) + ' |'


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=100)


def model_index_files(repo_root: Path = REPO_ROOT) -> Dict[Path, str]:
    """Every file this tool writes (each folder's ``metafile.yaml`` and
    README.md, and ``model-index.yml``) -> its text."""
    data = yaml.safe_load(
        (repo_root / 'configs' / 'paper_figures.yml').read_text())
    files = {}
    for folder, collection in data['collections'].items():
        folder = repo_root / 'configs' / folder
        readme = folder / 'README.md'
        paper = data['papers'][collection['paper']]
        models = [
            _model(config, repo_root, data)
            for config in sorted(folder.glob('*.py'))
        ]
        files[folder / 'metafile.yaml'] = _yaml({
            'Collections': [
                dict(
                    Name=collection['name'],
                    Metadata=dict(Description=collection['description']),
                    Paper=dict(Title=paper['title'], URL=paper['url']),
                    README=readme.relative_to(repo_root).as_posix())
            ],
            'Models': models,
        })
        rows = [
            _table_row(model, data['figures'].get(model['Name'], {}))
            for model in models
        ]
        # a ValueError here: the README lacks the two marker lines
        head, rest = readme.read_text().split(TABLE_START)
        tail = rest.split(TABLE_END)[1]
        files[readme] = '\n'.join(
            [head + TABLE_START, TABLE_HEAD, *rows, TABLE_END + tail])
    files[repo_root / 'model-index.yml'] = _yaml({
        'Import': [
            path.relative_to(repo_root).as_posix() for path in files
            if path.name == 'metafile.yaml'
        ]
    })
    return files


if __name__ == '__main__':
    for path, text in model_index_files().items():
        path.write_text(text)
