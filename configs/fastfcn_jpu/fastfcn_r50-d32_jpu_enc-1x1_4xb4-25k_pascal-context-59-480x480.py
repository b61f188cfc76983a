_base_ = [
    '../_base_/models/fastfcn_r50-d32_jpu_enc-1x1.py',
    '../_base_/datasets/pascal_context_59.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_25k.py'
]
model = dict(
    decode_head=dict(num_classes=59), auxiliary_head=dict(num_classes=59))
