# Dilated baseline of
# ../fastfcn_jpu/fastfcn_r50-d32_jpu_aspp_4xb4-45k_cityscapes-512x1024.py
# (same head, data and schedule).
_base_ = [
    '../_base_/models/deeplabv3_r50-d8.py', '../_base_/datasets/cityscapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_45k.py'
]
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    test_cfg=dict(crop_size=crop_size, stride=(341, 682)))
