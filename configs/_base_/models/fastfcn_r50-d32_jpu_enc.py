# FastFCN's EncNet (EncHead): encnet_r50-d8.py with the FastFCN rule of
# fastfcn_r50-d32.py (stride-32 backbone plus JPU); the decode head reads the
# JPU feature where it read C5.
_base_ = ['./encnet_r50-d8.py', './fastfcn_r50-d32.py']
model = dict(
    backbone={{_base_.jpu_backbone}},
    neck={{_base_.jpu_neck}},
    decode_head=dict(in_index=(0, 1, 3)))
