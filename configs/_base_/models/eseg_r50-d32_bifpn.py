# ESeg-style model: the DilatedFCN skeleton of dilatedfcn_r50-d8.py with the
# plain stride-32 ResNetD32 of fastfcn_r50-d32.py, no JPU, no dilation.
# BiFPNNeck projects C3, C4, C5 to 160 channels, pools P6..P9 (P9 = 1/512 of
# the input) and fuses the 7 levels with 6 BiFPN layers (EfficientDet-D3's
# width and depth, fast normalized fusion, swish). mmseg's SegformerHead
# resizes every level to P3 (stride 8), concatenates and fuses them with a
# 1x1 conv; the FCN auxiliary head reads the BiFPN's P4 (as the FPN ablation
# does).
_base_ = ['./dilatedfcn_r50-d8.py', './fastfcn_r50-d32.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
bifpn_width = 160
model = dict(
    backbone={{_base_.jpu_backbone}},
    neck=dict(
        type='BiFPNNeck',
        in_channels=(512, 1024, 2048),
        width=bifpn_width,
        num_outs=7,
        num_repeats=6,
        fusion='fast_normalized',
        align_corners=True,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='SiLU')),
    decode_head=dict(
        type='SegformerHead',
        in_channels=[bifpn_width] * 7,
        in_index=(0, 1, 2, 3, 4, 5, 6),
        channels=256,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(in_channels=bifpn_width, in_index=1))
