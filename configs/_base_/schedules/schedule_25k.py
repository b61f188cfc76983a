# FastFCN's Pascal Context schedule: 80 epochs of the 4998 train images at
# batch 16 (4 GPUs x 4) = 24,990 iterations. SGD, lr 0.001, momentum 0.9,
# weight decay 1e-4, poly decay with power 0.9 to 0; the neck and the heads
# learn at 10x the backbone's lr, as in the official code.
optimizer = dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    clip_grad=None,
    paramwise_cfg=dict(
        custom_keys=dict(
            neck=dict(lr_mult=10.),
            decode_head=dict(lr_mult=10.),
            auxiliary_head=dict(lr_mult=10.))))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
        begin=0,
        end=25000,
        by_epoch=False)
]
# mmengine's loops, which first check that the dataset's folders and split
# file exist and, if not, say how to prepare it (docs/datasets.md)
train_cfg = dict(
    type='DataCheckedIterBasedTrainLoop', max_iters=25000, val_interval=2500)
val_cfg = dict(type='DataCheckedValLoop')
test_cfg = dict(type='DataCheckedTestLoop')
# --cfg-options auto_scale_lr.enable=True scales lr by the total batch
# (processes x batch_size) over 16.
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # a run killed at any moment, or out of disk space, resumes from its last
    # complete checkpoint; --resume falls back to the newest complete one
    checkpoint=dict(
        type='AtomicCheckpointHook', by_epoch=False, interval=2500),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # fail before the first iteration on channels/in_index that do not fit,
    # and on missing files or out-of-range labels, naming the field or file
    segmentor_check=dict(type='SegmentorCheckHook'),
    data_check=dict(type='SegDataCheckHook'),
    # stop at the first NaN/inf loss or gradient, before the update, naming
    # the loss terms: the last good checkpoint stays the last one
    divergence_check=dict(type='DivergenceCheckHook'),
    # --resume with another total batch (processes x batch size) says so
    resume_batch_check=dict(type='ResumeBatchCheckHook'))
