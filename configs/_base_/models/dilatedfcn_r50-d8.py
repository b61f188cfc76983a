# The DilatedFCN that FastFCN compares against, without its decode head:
# mmseg's ResNetV1c-50 with the last two stages dilated 2 and 4 (output
# stride 8; C3, C4, C5 all at stride 8), no neck, and an FCN auxiliary head
# on C4. The head files (encnet_, pspnet_, deeplabv3_r50-d8.py) add the
# decode head on C5. SyncBN is reverted to BN by mmengine's Runner on a
# single device. Training pads to the 480x480 crop; testing slides 480x480
# windows with stride 320 (2/3 of the crop, as the official evaluation does).
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    size=(480, 480),
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained='open-mmlab://resnet50_v1c',
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        out_indices=(1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        contract_dilation=True,
        norm_cfg=norm_cfg,
        norm_eval=False),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=1,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.2)),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(480, 480), stride=(320, 320)))
