_base_ = './fastfcn_r50-d32_jpu_psp_4xb4-45k_cityscapes-512x1024.py'
model = dict(
    pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
