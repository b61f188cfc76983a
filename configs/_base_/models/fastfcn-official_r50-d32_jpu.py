# The official FastFCN architecture (wuhuikai/FastFCN, the models behind its
# released checkpoints): the ResNet stem is 3x3 convs 3->64->64->128 (so
# layer1 takes 128 channels) and every resize uses align_corners=True. The
# JPU concatenates its branches deepest first, as JointPyramidUpsampling
# does. Head-specific parts are in fastfcn-official_r50-d32_jpu_*.py.
_base_ = './fastfcn_r50-d32_jpu.py'
model = dict(pretrained=None, backbone=dict(stem_channels=128))
