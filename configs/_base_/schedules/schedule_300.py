# 300 iterations for the tiny quickstart samples: SGD lr 0.01 (heads and
# neck 10x) with poly decay, validation and a checkpoint every 100
# iterations, and a progress bar.
_base_ = './schedule_25k.py'
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
