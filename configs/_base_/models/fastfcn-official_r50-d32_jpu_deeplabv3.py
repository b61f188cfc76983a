# The official FastFCN DeepLabV3+JPU: the stem and resizes as in
# fastfcn-official_r50-d32_jpu_enc.py; the head of
# fastfcn_r50-d32_jpu_aspp-256.py (256 channels, rates 12/24/36, the pooling
# branch last and a 1x1 projection (+ Dropout2d 0.5) before a 3x3 conv).
_base_ = './fastfcn_r50-d32_jpu_aspp-256.py'
model = dict(pretrained=None, backbone=dict(stem_channels=128))
