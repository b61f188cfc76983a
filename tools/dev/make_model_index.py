# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Developer tool: regenerate the OpenMMLab metafiles (``model-index.yml``
and one ``metafile.yaml`` per config folder) from the configs and the
figures printed in the FastFCN paper. Run it after adding or renaming a
config."""
from pathlib import Path
from typing import Dict, List

import yaml
from mmengine.config import Config

PAPER = {
    'Title': 'FastFCN: Rethinking Dilated Convolution in the Backbone for '
    'Semantic Segmentation',
    'URL': 'https://arxiv.org/abs/1903.11816',
}
#: config folder -> collection name and description
COLLECTIONS = {
    'fastfcn_jpu': ('FastFCN-JPU', 'stride-32 ResNet + JointPyramidUpsampling'),
    'dilated_baselines': ('DilatedFCN', 'dilated stride-8 ResNet baselines'),
    'fastfcn_ablations': ('FastFCN-Ablations', "FastFCN's Table 1 rows"),
    'fastfcn_official': ('FastFCN-Official',
                         'the official FastFCN architectures, for converted '
                         'checkpoints'),
    'quickstart': ('Quickstart', 'tiny models for the bundled samples'),
    'ksac': ('KSAC-JPU', 'stride-32 ResNet + JointPyramidUpsampling + '
             'KSACHead (kernel-sharing atrous convolution)'),
    'eseg': ('ESeg-BiFPN', 'stride-32 ResNet + BiFPNNeck (P3-P9) + '
             'SegformerHead'),
}
#: config folder -> paper of its collection, when it is not FastFCN
COLLECTION_PAPERS = {
    'ksac': {
        'Title': 'See More Than Once -- Kernel-Sharing Atrous Convolution '
        'for Semantic Segmentation',
        'URL': 'https://arxiv.org/abs/1908.09443',
    },
    'eseg': {
        'Title': 'Revisiting Multi-Scale Feature Fusion for Semantic '
        'Segmentation',
        'URL': 'https://arxiv.org/abs/2203.12683',
    },
}
DATASETS = {
    'PascalContextDataset59': 'Pascal Context 59',
    'PascalContextDataset': 'Pascal Context',
    'ADE20KDataset': 'ADE20K',
}
#: config name -> figures printed in the paper: mIoU (single scale, Table 1
#: or Table 4), mIoU(ms+flip) (Table 3 and Section 4.3) and FPS on a Titan Xp
#: at 512x512 (Table 2).
PAPER_FIGURES: Dict[str, Dict[str, float]] = {
    'fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=51.05, ms=52.10, fps=37.56),
    'fastfcn_r50-d32_jpu_aspp_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=50.07, fps=20.67),
    'fastfcn_r50-d32_jpu_psp_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=50.89, fps=28.48),
    'fastfcn_r101-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480':
    dict(ms=54.03, fps=32.02),
    'fastfcn_r101-d32_jpu_aspp_4xb4-25k_pascal-context-59-480x480':
    dict(fps=18.08),
    'fastfcn_r101-d32_jpu_psp_4xb4-25k_pascal-context-59-480x480':
    dict(fps=23.87),
    'fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-480x480': dict(ms=51.2),
    'fastfcn_r101-d32_jpu_enc_4xb4-25k_pascal-context-480x480':
    dict(ms=53.1),
    'fastfcn_r50-d32_jpu_enc_4xb4-150k_ade20k-480x480': dict(mIoU=42.75),
    'fastfcn_r101-d32_jpu_enc_4xb4-150k_ade20k-480x480': dict(mIoU=44.34),
    'encnet_r50-d8_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=49.91, fps=18.77),
    'deeplabv3_r50-d8_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=49.19, fps=15.99),
    'pspnet_r50-d8_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=50.58, fps=18.08),
    'encnet_r101-d8_4xb4-25k_pascal-context-59-480x480': dict(fps=10.51),
    'deeplabv3_r101-d8_4xb4-25k_pascal-context-59-480x480': dict(fps=10.46),
    'pspnet_r101-d8_4xb4-25k_pascal-context-59-480x480': dict(fps=11.36),
    'encnet_r101-d8_4xb4-25k_pascal-context-480x480': dict(ms=51.7),
    'encnet_r50-d8_4xb4-150k_ade20k-480x480': dict(mIoU=41.11),
    'encnet_r101-d8_4xb4-150k_ade20k-480x480': dict(mIoU=44.65),
    'pspnet_r101-d8_4xb4-150k_ade20k-480x480': dict(mIoU=43.29),
    'fastfcn_r50-d32_bilinear_enc_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=46.47, fps=45.67),
    'fastfcn_r50-d32_fpn_enc_4xb4-25k_pascal-context-59-480x480':
    dict(mIoU=49.59, fps=37.87),
}


def _backbone(cfg: Config) -> str:
    backbone = cfg.model.backbone
    dilated = backbone.get('dilations', (1, 1, 1, 1))[-1] > 1
    return f'R-{backbone.depth}-D{8 if dilated else 32}'


def _results(name: str, dataset: str) -> List[dict]:
    figures = PAPER_FIGURES.get(name, {})
    metrics = {}
    if 'mIoU' in figures:
        metrics['mIoU'] = figures['mIoU']
    if 'ms' in figures:
        metrics['mIoU(ms+flip)'] = figures['ms']
    if not metrics:
        return []
    return [
        dict(
            Task='Semantic Segmentation',
            Dataset=dataset,
            Metrics=metrics,
            Source='FastFCN paper (not measured by this project)')
    ]


def model_entry(config: Path, repo_root: Path) -> dict:
    cfg = Config.fromfile(str(config))
    name = config.stem
    dataset = DATASETS[cfg.train_dataloader.dataset.type]
    metadata = {
        'Backbone': _backbone(cfg),
        'Neck': (cfg.model.get('neck') or {}).get('type', 'none'),
        'Head': cfg.model.decode_head.type,
        'Crop Size': str(tuple(cfg.model.data_preprocessor.size)),
        'Lr schd': cfg.train_cfg.max_iters,
        'Training Data': dataset,
    }
    fps = PAPER_FIGURES.get(name, {}).get('fps')
    if fps:
        metadata['inference time (ms/im)'] = [
            dict(
                value=round(1000 / fps, 2),
                hardware='Titan Xp (FastFCN paper)',
                backend='PyTorch',
                **{'batch size': 1},
                mode='FP32',
                resolution='(512,512)')
        ]
    return {
        'Name': name,
        'In Collection': COLLECTIONS[config.parent.name][0],
        'Config': config.relative_to(repo_root).as_posix(),
        'Metadata': metadata,
        'Results': _results(name, dataset),
    }


def metafile(folder: Path, repo_root: Path) -> dict:
    name, description = COLLECTIONS[folder.name]
    return {
        'Collections': [
            dict(
                Name=name,
                Metadata=dict(Description=description),
                Paper=COLLECTION_PAPERS.get(folder.name, PAPER),
                README=f'{folder.relative_to(repo_root).as_posix()}/README.md'
                if (folder / 'README.md').exists() else 'README.md')
        ],
        'Models': [
            model_entry(config, repo_root)
            for config in sorted(folder.glob('*.py'))
        ],
    }


def render(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=100)


def write_model_index(repo_root: Path) -> List[Path]:
    """Write every folder's ``metafile.yaml`` and ``model-index.yml``."""
    written = []
    for folder_name in COLLECTIONS:
        folder = repo_root / 'configs' / folder_name
        path = folder / 'metafile.yaml'
        path.write_text(render(metafile(folder, repo_root)))
        written.append(path)
    index = repo_root / 'model-index.yml'
    index.write_text(
        render({
            'Import': [p.relative_to(repo_root).as_posix() for p in written]
        }))
    return [*written, index]


if __name__ == '__main__':
    for path in write_model_index(Path(__file__).resolve().parents[2]):
        print(path)
