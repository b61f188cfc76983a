_base_ = './fastfcn_r50-d32_jpu_enc-1x1_4xb4-25k_pascal-context-59-480x480.py'
model = dict(
    pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
