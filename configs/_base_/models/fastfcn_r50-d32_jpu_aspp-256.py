# DeepLabV3+JPU with the official FastFCN DeepLabV3 head (FastFCNASPPHead):
# 256 channels (mmseg's ASPPHead uses 512), rates 12/24/36, the image pooling
# branch last, a 1x1 projection (+ Dropout2d 0.5) and then a 3x3 conv.
_base_ = './fastfcn_r50-d32_jpu.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    decode_head=dict(
        type='FastFCNASPPHead',
        in_channels=2048,
        in_index=3,
        channels=256,
        dilations=(12, 24, 36),
        project_dropout_ratio=0.5,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
