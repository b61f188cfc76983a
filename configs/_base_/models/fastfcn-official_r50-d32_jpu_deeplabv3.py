# The official FastFCN DeepLabV3+JPU: the stem and resizes as in
# fastfcn-official_r50-d32_jpu_enc.py; the head has 256 channels, rates
# 12/24/36, the pooling branch last and a 1x1 projection (+ Dropout2d 0.5)
# before a 3x3 conv.
_base_ = './fastfcn_r50-d32_jpu.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    pretrained=None,
    backbone=dict(stem_channels=128),
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
