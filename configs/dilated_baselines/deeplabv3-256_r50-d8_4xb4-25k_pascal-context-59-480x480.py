# Dilated baseline of ../fastfcn_jpu/
# fastfcn_r50-d32_jpu_aspp-256_4xb4-25k_pascal-context-59-480x480.py
# (same head, data and schedule).
_base_ = [
    '../_base_/models/deeplabv3-256_r50-d8.py',
    '../_base_/datasets/pascal_context_59.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_25k.py'
]
model = dict(
    decode_head=dict(num_classes=59), auxiliary_head=dict(num_classes=59))
