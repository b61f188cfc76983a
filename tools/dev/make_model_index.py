# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Developer tool: regenerate the OpenMMLab metafiles (``model-index.yml``
and one ``metafile.yaml`` per config folder) and the results table of each
config folder's README.md, from the configs and the paper figures in
``configs/paper_figures.yml``. Run it after adding or renaming a config or
changing a figure."""
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
#: metric key in paper_figures.yml -> column of the README tables
METRICS = {'mIoU': 'mIoU', 'mIoU(ms+flip)': 'mIoU (ms+flip)'}
TABLE_START = ('<!-- results table: made by tools/dev/make_model_index.py '
               'from configs/paper_figures.yml; do not edit by hand -->')
TABLE_END = '<!-- end of results table -->'


def paper_figures(repo_root: Path = REPO_ROOT) -> Dict:
    """``configs/paper_figures.yml``: ``papers`` and ``figures``."""
    return yaml.safe_load(
        (repo_root / 'configs' / 'paper_figures.yml').read_text())


def _backbone(cfg: Config) -> str:
    backbone = cfg.model.backbone
    dilated = backbone.get('dilations', (1, 1, 1, 1))[-1] > 1
    return f'R-{backbone.depth}-D{8 if dilated else 32}'


def _results(figures: Dict, dataset: str, paper: str) -> List[dict]:
    metrics = {key: figures[key] for key in METRICS if key in figures}
    if not metrics:
        return []
    return [
        dict(
            Task='Semantic Segmentation',
            Dataset=dataset,
            Metrics=metrics,
            Source=f'{paper} paper (not measured by this project)')
    ]


def _speed(figures: Dict) -> Dict:
    """The paper's speed, under a key that names its hardware: mim turns
    mmseg's list form (hardware, backend, batch size, ...) into one
    74-character key, too wide for ``mim search`` at 80 columns."""
    if 'fps' not in figures:
        return {}
    speed = round(1000 / figures['fps'], 2)
    return {'inference time on Titan Xp (ms/im)': speed}


def model_entry(config: Path, repo_root: Path, figures: Dict) -> dict:
    collection, _, paper = COLLECTIONS[config.parent.name]
    cfg = Config.fromfile(str(config))
    dataset = DATASETS[cfg.train_dataloader.dataset.type]
    figures = figures.get(config.stem, {})
    metadata = {
        'Backbone': _backbone(cfg),
        'Neck': (cfg.model.get('neck') or {}).get('type', 'none'),
        'Head': cfg.model.decode_head.type,
        'Crop Size': str(tuple(cfg.model.data_preprocessor.size)),
        'Lr schd': cfg.train_cfg.max_iters,
        'Training Data': dataset,
        **_speed(figures),
    }
    return {
        'Name': config.stem,
        'In Collection': collection,
        'Config': config.relative_to(repo_root).as_posix(),
        'Metadata': metadata,
        'Results': _results(figures, dataset, paper),
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


def _cell(value) -> str:
    return '-' if value is None else str(value)


def results_table(meta: dict, figures: Dict) -> str:
    """Markdown table of a folder's models with the paper's figures."""
    lines = [
        '| config | backbone | head | crop | iterations | paper row | '
        'paper mIoU | paper mIoU (ms+flip) | paper FPS (Titan Xp) | ours |',
        '|---|---|---|---|---|---|---|---|---|---|'
    ]
    for model in meta['Models']:
        paper = figures.get(model['Name'], {})
        info = model['Metadata']
        lines.append(
            f"| [{model['Name']}]({Path(model['Config']).name}) | "
            f"{info['Backbone']} | {info['Head']} | {info['Crop Size']} | "
            f"{info['Lr schd']} | {_cell(paper.get('row'))} | "
            f"{_cell(paper.get('mIoU'))} | "
            f"{_cell(paper.get('mIoU(ms+flip)'))} | "
            f"{_cell(paper.get('fps'))} | - |")
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
    ``model-index.yml``."""
    data = paper_figures(repo_root)
    written, metafiles = [], []
    for folder_name in COLLECTIONS:
        folder = repo_root / 'configs' / folder_name
        meta = metafile(folder, repo_root, data)
        path = folder / 'metafile.yaml'
        path.write_text(render(meta))
        readme = folder / 'README.md'
        readme.write_text(
            with_results_table(readme.read_text(),
                               results_table(meta, data['figures'])))
        metafiles.append(path)
        written += [path, readme]
    index = repo_root / 'model-index.yml'
    index.write_text(
        render({
            'Import': [p.relative_to(repo_root).as_posix() for p in metafiles]
        }))
    return [*written, index]


if __name__ == '__main__':
    for written_path in write_model_index():
        print(written_path)
