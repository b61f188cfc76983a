# The dilated baseline of fastfcn_r50-d32_jpu_psp.py: the same head on the
# dilated ResNetV1c of resnet50_v1c-d8.py and no neck; the FCN auxiliary head
# keeps reading C4.
_base_ = ['./fastfcn_r50-d32_jpu_psp.py', './resnet50_v1c-d8.py']
model = dict(
    backbone={{_base_.dilated_backbone}},
    neck=None,
    decode_head=dict(in_index=2))
