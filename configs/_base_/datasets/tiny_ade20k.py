# The tiny ADE20K sample bundled in data/tiny (8 train, 4 val images; remade
# by tools/dev/make_tiny_datasets.py), found relative to this file so the
# configs run from any folder.
_base_ = ['./ade20k.py', './tiny_pipelines.py']
data_root = '{{ fileDirname }}/../../../data/tiny/ADEChallengeData2016'
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root, pipeline={{_base_.tiny_train_pipeline}}))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline={{_base_.tiny_test_pipeline}}))
test_dataloader = val_dataloader
