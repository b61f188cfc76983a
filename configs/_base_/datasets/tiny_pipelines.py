# Pipelines for the tiny samples bundled in data/tiny (images of about 60x70
# pixels): a 64x64 train crop after a random rescale, testing at the
# original size.
tiny_crop_size = (64, 64)
tiny_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMapShape'),
    dict(
        type='RandomResize',
        scale=(80, 80),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=tiny_crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
tiny_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMapShape'),
    dict(type='PackSegInputs')
]
