# The official FastFCN deeplabv3+JPU architecture, for checkpoints converted with
# tools/convert_fastfcn.py. Testing follows the official single-scale
# protocol: long side 520, 480x480 windows with stride 320; '--tta' adds the
# official scales 0.5-1.75 with flipping.
_base_ = [
    '../_base_/models/fastfcn-official_r50-d32_jpu_deeplabv3.py',
    '../_base_/datasets/pascal_context_59.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_25k.py'
]
model = dict(
    decode_head=dict(num_classes=59), auxiliary_head=dict(num_classes=59))
