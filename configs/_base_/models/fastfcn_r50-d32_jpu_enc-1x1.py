# EncNet+JPU as the official FastFCN code builds it: the EncHead's bottleneck
# on the 2048-channel JPU feature is a 1x1 conv (FastFCNEncHead) instead of
# mmseg's 3x3, which is where most of the stock head's time goes at stride 8.
# The official dilated EncNet keeps the 3x3 (../dilated_baselines/encnet_*).
_base_ = './fastfcn_r50-d32_jpu_enc.py'
model = dict(decode_head=dict(type='FastFCNEncHead'))
