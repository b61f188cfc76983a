# FastFCN Table 1, "Encoding, OS 32, Bilinear": the stride-32 ResNet's C5 is
# upsampled 4x with bilinear interpolation and fed to EncHead.
_base_ = '../fastfcn_jpu/fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480.py'  # noqa
model = dict(
    neck=dict(
        _delete_=True,
        type='BilinearUpsampling',
        scale_factor=4,
        align_corners=True))
