# Cityscapes, 19 classes, mmseg's layout (leftImg8bit + the gtFine
# *_labelTrainIds.png made by mmseg's
# tools/dataset_converters/cityscapes.py). FastFCN's data recipe of
# fastfcn_pipelines.py at Cityscapes' scale: the 2048x1024 image resized by
# a random ratio in [0.5, 2.0], a random 512x1024 crop (mmseg's Cityscapes
# crop) and a horizontal flip; testing at the original size. The models
# slide 512x1024 windows with stride 2/3 of the crop (the leaf configs set
# crop_size and the stride).
dataset_type = 'CityscapesDataset'
data_root = 'data/cityscapes/'
img_scale = (2048, 1024)
crop_size = (512, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMapShape'),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # load the annotation after Resize: metrics use the original size
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMapShape'),
    dict(type='PackSegInputs')
]
# `--tta`: the official multi-scale test, the long side resized to 2048 x s
# for s in 0.5, 0.75, ..., 1.75, each with and without a flip.
tta_long_sides = [1024, 1536, 2048, 2560, 3072, 3584]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale=(side, side), keep_ratio=True)
                for side in tta_long_sides
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadAnnotations')], [dict(type='CheckSegMapShape')],
            [dict(type='PackSegInputs')]
        ])
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PresentClassesIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
