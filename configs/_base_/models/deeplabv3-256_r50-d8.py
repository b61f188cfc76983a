# DeepLabV3 with the official FastFCN DeepLabV3 head (FastFCNASPPHead), as
# the official dilated DeepLabV3 runs it: 256 channels (mmseg's ASPPHead uses
# 512), rates 12/24/36, the image pooling branch last, a 1x1 projection
# (+ Dropout2d 0.5) and then a 3x3 conv.
_base_ = './deeplabv3_r50-d8.py'
model = dict(
    decode_head=dict(
        type='FastFCNASPPHead',
        channels=256,
        dilations=(12, 24, 36),
        project_dropout_ratio=0.5))
