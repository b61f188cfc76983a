# The dilated baseline of fastfcn_r50-d32_jpu_aspp-256.py: the official
# FastFCN DeepLabV3 head (256 channels) on the dilated ResNetV1c of
# resnet50_v1c-d8.py and no neck, as the official dilated DeepLabV3.
_base_ = ['./fastfcn_r50-d32_jpu_aspp-256.py', './resnet50_v1c-d8.py']
model = dict(
    backbone={{_base_.dilated_backbone}},
    neck=None,
    decode_head=dict(in_index=2))
