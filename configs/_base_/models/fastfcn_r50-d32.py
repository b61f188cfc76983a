# The FastFCN rule, shared by the fastfcn_r50-d32_jpu_*.py files (and
# tools/jpuify.py applies the same to any mmseg config): take a dilated model
# (*_r50-d8.py), put the plain stride-32 ResNetD32 (no dilation anywhere, the
# same depth and ImageNet weights) in place of its dilated ResNetV1c, and add
# Joint Pyramid Upsampling, which fuses C3, C4, C5 back into a stride-8
# feature of 4 x 512 = 2048 channels appended as level 3. The decode head
# then reads level 3 where it read C5 (level 2); the FCN auxiliary head keeps
# reading C4 (level 1). Usage in a head file:
#     model = dict(backbone={{_base_.jpu_backbone}}, neck={{_base_.jpu_neck}})
jpu_backbone = dict(
    _delete_=True,
    type='ResNetD32',
    depth=50,
    out_indices=(1, 2, 3),
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    norm_eval=False)
jpu_neck = dict(
    type='JointPyramidUpsampling',
    in_channels=(512, 1024, 2048),
    width=512,
    dilations=(1, 2, 4, 8),
    align_corners=True,
    norm_cfg=dict(type='SyncBN', requires_grad=True))
