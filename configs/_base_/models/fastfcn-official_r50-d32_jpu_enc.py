# Official EncNet+JPU head: EncHead whose bottleneck on the JPU feature is a
# 1x1 conv (mmseg's EncHead uses 3x3).
_base_ = './fastfcn-official_r50-d32_jpu.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    decode_head=dict(
        type='FastFCNEncHead',
        bottleneck_kernel_size=1,
        in_channels=[512, 1024, 2048],
        in_index=(0, 1, 3),
        channels=512,
        num_codes=32,
        use_se_loss=True,
        add_lateral=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_se_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)))
