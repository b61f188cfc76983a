# FastFCN's ADE20K schedule: 120 epochs of the 20,210 train images at batch
# 16 (4 GPUs x 4) = 151,575 iterations, rounded to 150k. SGD, lr 0.01,
# otherwise as schedule_25k.py.
_base_ = './schedule_25k.py'
optimizer = dict(lr=0.01)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
        begin=0,
        end=150000,
        by_epoch=False)
]
train_cfg = dict(max_iters=150000, val_interval=15000)
default_hooks = dict(checkpoint=dict(interval=15000))
