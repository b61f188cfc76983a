# KSAC (kernel-sharing atrous convolution) head on the JPU feature: the
# ASPPHead model of fastfcn_r50-d32_jpu_aspp.py with only the head type
# changed, so KSAC and ASPP compare on equal terms (same channels, rates
# (1, 12, 24, 36) at output stride 8, dropout, loss and aux head). The atrous
# branches share one 3x3 kernel, keep their own BN, and are summed before
# the concatenation with the 1x1 and image-pooling branches (fusion='sum';
# 'concat' concatenates every branch as ASPP does).
_base_ = './fastfcn_r50-d32_jpu_aspp.py'
model = dict(decode_head=dict(type='KSACHead', fusion='sum'))
