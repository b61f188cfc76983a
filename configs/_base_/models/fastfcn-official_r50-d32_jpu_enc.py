# The official FastFCN EncNet+JPU (wuhuikai/FastFCN, the architecture of its
# released checkpoints): the ResNet stem is 3x3 convs 3->64->64->128 (layer1
# takes 128 channels), every resize uses align_corners=True, the JPU
# concatenates its branches deepest first (as JointPyramidUpsampling does)
# and EncHead's bottleneck on the JPU feature is a 1x1 conv (mmseg's is 3x3),
# as in fastfcn_r50-d32_jpu_enc-1x1.py.
_base_ = './fastfcn_r50-d32_jpu_enc-1x1.py'
model = dict(pretrained=None, backbone=dict(stem_channels=128))
