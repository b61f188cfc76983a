# The tiny Pascal Context sample bundled in data/tiny (8 train, 4 val images;
# remade by tools/dev/make_tiny_datasets.py), found relative to this file so
# the configs run from any folder.
_base_ = ['./pascal_context_59.py', './tiny_pipelines.py']
data_root = '{{ fileDirname }}/../../../data/tiny/VOCdevkit/VOC2010/'
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
