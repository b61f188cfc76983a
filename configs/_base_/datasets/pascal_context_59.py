# Pascal Context, 59 classes (background ignored), VOC2010 layout with the
# SegmentationClassContext annotations made by mmseg's
# tools/dataset_converters/pascal_context.py.
_base_ = './fastfcn_pipelines.py'
dataset_type = 'PascalContextDataset59'
data_root = 'data/VOCdevkit/VOC2010/'
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassContext'),
        ann_file='ImageSets/SegmentationContext/train.txt',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassContext'),
        ann_file='ImageSets/SegmentationContext/val.txt',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(type='PresentClassesIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
