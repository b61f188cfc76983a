# FastFCN's data recipe, shared by the dataset files: the long side is
# resized to 520 x a random ratio in [0.5, 2.0] (as the official code does
# with base_size=520), then a random 480x480 crop and a horizontal flip.
# LoadAnnotations takes reduce_zero_label from the dataset class;
# CheckSegMapShape (mmseg_jpu) stops on an annotation whose size differs from
# its image's, naming both files.
img_scale = (520, 520)
crop_size = (480, 480)
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
# `--tta`: the official multi-scale test resizes the long side to
# ceil(520 x s) for s in 0.5, 0.75, ..., 1.75, each with and without a flip.
tta_long_sides = [260, 390, 520, 650, 780, 910]
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
