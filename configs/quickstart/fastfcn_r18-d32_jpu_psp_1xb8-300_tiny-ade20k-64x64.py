# PSPNet + JPU on a ResNet-18 with a narrow JPU (width 32), trained from
# scratch for 300 iterations on the bundled tiny ADE20K sample.
_base_ = [
    '../_base_/models/fastfcn_r50-d32_jpu_psp.py',
    '../_base_/datasets/tiny_ade20k.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_25k.py'
]
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=(128, 256, 512), width=32, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=128, channels=64, num_classes=150, norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=256, channels=32, num_classes=150, norm_cfg=norm_cfg))
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=300,
         by_epoch=False)
]
train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=100, max_keep_ckpts=1))
custom_hooks = [dict(type='TrainProgressBarHook')]
