# The dilated baseline of fastfcn_r50-d32_jpu_psp.py: the same head on
# mmseg's ResNetV1c with the last two stages dilated (output stride 8) and no
# neck. The backbone outputs C3, C4, C5 (all at stride 8); the FCN auxiliary
# head keeps reading C4.
_base_ = './fastfcn_r50-d32_jpu_psp.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=50,
        out_indices=(1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        contract_dilation=True,
        norm_cfg=norm_cfg,
        norm_eval=False),
    neck=None,
    decode_head=dict(in_index=2))
