# 60 classes (background included), FastFCN's Table 3 protocol.
_base_ = [
    '../_base_/models/fastfcn_r50-d32_jpu_aspp.py',
    '../_base_/datasets/pascal_context.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_25k.py'
]
model = dict(
    decode_head=dict(num_classes=60), auxiliary_head=dict(num_classes=60))
