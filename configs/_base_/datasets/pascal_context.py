# Pascal Context, 60 classes (background counted as a class), the protocol of
# FastFCN's Table 3; same layout and recipe as pascal_context_59.py.
_base_ = './pascal_context_59.py'
dataset_type = 'PascalContextDataset'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = val_dataloader
