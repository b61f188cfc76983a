# FastFCN Table 1, "Encoding, OS 32, FPN": mmseg's FPN over C3, C4, C5 (512
# channels each); EncHead reads the stride-8 P3, the FCN auxiliary head P4.
_base_ = '../fastfcn_jpu/fastfcn_r50-d32_jpu_enc_4xb4-25k_pascal-context-59-480x480.py'  # noqa
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    neck=dict(
        _delete_=True,
        type='FPN',
        in_channels=[512, 1024, 2048],
        out_channels=512,
        num_outs=3),
    decode_head=dict(in_channels=[512, 512, 512], in_index=(1, 2, 0)),
    auxiliary_head=dict(in_channels=512, in_index=1))
