# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Developer tool: regenerate ``model-index.yml``, each config folder's
``metafile.yaml`` and the results table of its README.md from the configs
and ``configs/paper_figures.yml``."""
import re
from pathlib import Path
from typing import Dict, List

import yaml
from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
#: config folder -> collection name, description and the paper it follows
COLLECTIONS = {
    'fastfcn_jpu': ('FastFCN-JPU', 'stride-32 ResNet + JointPyramidUpsampling',
                    'FastFCN'),
    'dilated_baselines': ('DilatedFCN', 'dilated stride-8 ResNet baselines',
                          'FastFCN'),
    'fastfcn_ablations': ('FastFCN-Ablations', "FastFCN's Table 1 rows",
                          'FastFCN'),
    'fastfcn_official': ('FastFCN-Official',
                         'architectures of the official FastFCN code',
                         'FastFCN'),
    'quickstart': ('Quickstart', 'tiny models for the bundled samples',
                   'FastFCN'),
    'ksac': ('KSAC-JPU', 'stride-32 ResNet + JPU + KSACHead', 'KSAC'),
    'eseg': ('ESeg-BiFPN', 'ResNet-D32 + BiFPN (P3-P9) + SegformerHead',
             'ESeg'),
}
DATASETS = {
    'PascalContextDataset59': 'Pascal Context 59',
    'PascalContextDataset': 'Pascal Context',
    'ADE20KDataset': 'ADE20K',
    'CityscapesDataset': 'Cityscapes',
}
#: the metrics of paper_figures.yml
METRICS = ('mIoU', 'mIoU(ms+flip)')
TABLE_START = ('<!-- results table: made by tools/dev/make_model_index.py '
               'from configs/paper_figures.yml; do not edit by hand -->')
TABLE_END = '<!-- end of results table -->'


def paper_figures(repo_root: Path = REPO_ROOT) -> Dict:
    """``configs/paper_figures.yml``: ``papers`` and ``figures``."""
    return yaml.safe_load(
        (repo_root / 'configs' / 'paper_figures.yml').read_text())


def model_entry(config: Path, repo_root: Path, figures: Dict) -> dict:
    """The metafile entry of ``config`` with the paper's ``figures``."""
    collection, _, paper = COLLECTIONS[config.parent.name]
    cfg = Config.fromfile(str(config))
    model, dataset = cfg.model, DATASETS[cfg.train_dataloader.dataset.type]
    figures = figures.get(config.stem, {})
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
    metrics = {key: figures[key] for key in METRICS if key in figures}
    return {
        'Name': config.stem,
        'In Collection': collection,
        'Config': config.relative_to(repo_root).as_posix(),
        'Metadata': metadata,
        'Results': [
            dict(
                Task='Semantic Segmentation',
                Dataset=dataset,
                Metrics=metrics,
                Source=f'{paper} paper (not measured by this project)')
        ] if metrics else [],
    }


def metafile(folder: Path, repo_root: Path, data: Dict) -> dict:
    name, description, paper = COLLECTIONS[folder.name]
    readme = folder / 'README.md'
    return {
        'Collections': [
            dict(
                Name=name,
                Metadata=dict(Description=description),
                Paper=dict(
                    Title=data['papers'][paper]['title'],
                    URL=data['papers'][paper]['url']),
                README=readme.relative_to(repo_root).as_posix()
                if readme.exists() else 'README.md')
        ],
        'Models': [
            model_entry(config, repo_root, data['figures'])
            for config in sorted(folder.glob('*.py'))
        ],
    }


def render(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=100)


def results_table(meta: dict, figures: Dict) -> str:
    """Markdown table of a folder's models with the paper's figures."""
    lines = [
        '| config | backbone | head | crop | iterations | paper row | '
        'paper mIoU | paper mIoU (ms+flip) | paper FPS (Titan Xp) | ours |',
        '|' + '---|' * 10
    ]
    for model in meta['Models']:
        paper, info = figures.get(model['Name'], {}), model['Metadata']
        cells = [
            f"[{model['Name']}]({Path(model['Config']).name})",
            *(info[key] for key in ('Backbone', 'Head', 'Crop Size',
                                    'Lr schd')),
            *(paper.get(key, '-')
              for key in ('row', 'mIoU', 'mIoU(ms+flip)', 'fps')), '-'
        ]
        lines.append('| ' + ' | '.join(map(str, cells)) + ' |')
    return '\n'.join(lines)


def with_results_table(readme_text: str, table: str) -> str:
    """The README text with its results table (between the markers)
    replaced by ``table``."""
    pattern = re.compile(
        re.escape(TABLE_START) + '.*?' + re.escape(TABLE_END), re.S)
    if not pattern.search(readme_text):
        raise ValueError('README.md has no results table markers: add the '
                         f'lines\n{TABLE_START}\n{TABLE_END}')
    return pattern.sub(
        lambda _: f'{TABLE_START}\n{table}\n{TABLE_END}', readme_text)


def write_model_index(repo_root: Path = REPO_ROOT) -> List[Path]:
    """Write every folder's ``metafile.yaml`` and results table, and
    ``model-index.yml``; returns the files written."""
    data = paper_figures(repo_root)
    written = []
    for folder in (repo_root / 'configs' / name for name in COLLECTIONS):
        meta, readme = metafile(folder, repo_root, data), folder / 'README.md'
        (folder / 'metafile.yaml').write_text(render(meta))
        readme.write_text(
            with_results_table(readme.read_text(),
                               results_table(meta, data['figures'])))
        written += [folder / 'metafile.yaml', readme]
    index = repo_root / 'model-index.yml'
    index.write_text(
        render({
            'Import': [
                path.relative_to(repo_root).as_posix()
                for path in written[::2]
            ]
        }))
    return [*written, index]


if __name__ == '__main__':
    print('\n'.join(map(str, write_model_index())))
