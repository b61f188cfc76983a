# Copyright (c) mmseg_jpu contributors. All rights reserved.
from .fastfcn_aspp_head import FastFCNASPPHead
from .fastfcn_enc_head import FastFCNEncHead
from .ksac_head import KSACHead

__all__ = ['FastFCNASPPHead', 'FastFCNEncHead', 'KSACHead']
