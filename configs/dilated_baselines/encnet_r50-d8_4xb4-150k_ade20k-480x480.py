# Dilated baseline of
# ../fastfcn_jpu/fastfcn_r50-d32_jpu_enc_4xb4-150k_ade20k-480x480.py
# (same head, data and schedule).
_base_ = [
    '../_base_/models/encnet_r50-d8.py', '../_base_/datasets/ade20k.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_150k.py'
]
model = dict(
    decode_head=dict(num_classes=150), auxiliary_head=dict(num_classes=150))
