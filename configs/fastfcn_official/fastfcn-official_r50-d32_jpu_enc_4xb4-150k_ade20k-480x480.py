# The official FastFCN enc+JPU architecture, for checkpoints converted with
# tools/convert_fastfcn.py. Testing follows the official single-scale
# protocol: long side 520, 480x480 windows with stride 320; '--tta' adds the
# official scales 0.5-1.75 with flipping.
_base_ = [
    '../_base_/models/fastfcn-official_r50-d32_jpu_enc.py',
    '../_base_/datasets/ade20k.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_150k.py'
]
model = dict(
    decode_head=dict(num_classes=150), auxiliary_head=dict(num_classes=150))
