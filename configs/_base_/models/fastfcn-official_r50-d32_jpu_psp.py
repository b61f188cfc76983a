# Official PSP+JPU head: the same layout as mmseg's PSPHead (pools 1, 2, 3,
# 6 to 512 channels, 3x3 bottleneck to 512).
_base_ = './fastfcn-official_r50-d32_jpu.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    decode_head=dict(
        type='PSPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
