# FastFCN's Cityscapes schedule (the official code's defaults for 'citys'):
# 240 epochs of the 2975 train images at batch 16 (4 GPUs x 4) = 44,625
# iterations, rounded to 45k; SGD, lr 0.01, otherwise as schedule_25k.py.
# That is 720k crops, about the 640k of mmseg's 80k iterations at batch 8.
_base_ = './schedule_25k.py'
optimizer = dict(lr=0.01)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
        begin=0,
        end=45000,
        by_epoch=False)
]
train_cfg = dict(max_iters=45000, val_interval=4500)
default_hooks = dict(checkpoint=dict(interval=4500))
