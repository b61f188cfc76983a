# mmseg's dilated ResNetV1c-50 (the last two stages dilated 2 and 4, output
# stride 8) as DilatedFCNs use it; the dilated baselines put it in place of
# ResNetD32 with `backbone={{_base_.dilated_backbone}}`. It outputs C3, C4,
# C5, all at stride 8.
dilated_backbone = dict(
    type='ResNetV1c',
    depth=50,
    out_indices=(1, 2, 3),
    dilations=(1, 1, 2, 4),
    strides=(1, 2, 1, 1),
    contract_dilation=True,
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    norm_eval=False)
