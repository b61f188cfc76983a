# The README's main job: EncNet + JPU on a ResNet-18 with a narrow JPU
# (width 32), trained from scratch for 300 iterations on the bundled tiny
# Pascal Context sample, in under 2 minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/fastfcn_r50-d32_jpu_enc.py',
    '../_base_/datasets/tiny_pascal_context_59.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_300.py'
]
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    test_cfg=dict(_delete_=True, mode='whole'),
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=(128, 256, 512), width=32, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=[128, 256, 128],
        channels=64,
        num_codes=8,
        num_classes=59,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=256, channels=32, num_classes=59, norm_cfg=norm_cfg))
randomness = dict(seed=0)  # reproducible runs
