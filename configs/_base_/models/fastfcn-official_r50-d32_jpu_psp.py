# The official FastFCN PSP+JPU: the stem and resizes as in
# fastfcn-official_r50-d32_jpu_enc.py; the head has mmseg PSPHead's layout
# (pools 1, 2, 3, 6 to 512 channels, 3x3 bottleneck to 512).
_base_ = './fastfcn_r50-d32_jpu_psp.py'
model = dict(pretrained=None, backbone=dict(stem_channels=128))
