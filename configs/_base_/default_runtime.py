# Load the plugin so its modules are registered (JointPyramidUpsampling,
# ResNetD32, TrainProgressBarHook, ...), and read every local checkpoint with
# torch.load(weights_only=True): a file that would run code is refused.
custom_imports = dict(
    imports=['mmseg_jpu', 'mmseg_jpu.enable_weights_only_loading'],
    allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False

tta_model = dict(type='SegTTAModel')
