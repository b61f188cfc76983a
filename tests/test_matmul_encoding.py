# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""MatmulEncoding computes mmseg's Encoding layer with matrix products."""
import torch

from mmseg.models.utils import Encoding
from mmseg.registry import MODELS
from mmseg_jpu.models.utils import MatmulEncoding


def test_same_result_and_gradients_as_mmseg_encoding():
    reference = Encoding(channels=64, num_codes=8)
    matmul = MatmulEncoding(channels=64, num_codes=8)
    matmul.load_state_dict(reference.state_dict())
    inputs = torch.relu(torch.randn(2, 64, 13, 17)).requires_grad_()
    expected, output = reference(inputs), matmul(inputs)
    assert output.shape == (2, 8, 64)
    torch.testing.assert_close(output, expected, rtol=1e-4, atol=1e-4)
    expected_grads = torch.autograd.grad(expected.sum(), [
        inputs, reference.codewords, reference.scale])
    grads = torch.autograd.grad(output.sum(), [
        inputs, matmul.codewords, matmul.scale])
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad, rtol=1e-3, atol=1e-4)


def test_fastfcn_enc_head_keeps_enc_head_state_dict_keys():
    common = dict(in_channels=[32, 64, 128], in_index=(0, 1, 2), channels=32,
                  num_codes=4, num_classes=5)
    head = MODELS.build(dict(type='FastFCNEncHead', **common))
    stock = MODELS.build(dict(type='EncHead', **common))
    assert isinstance(head.enc_module.encoding[0], MatmulEncoding)
    assert head.state_dict().keys() == stock.state_dict().keys()


def test_fastfcn_enc_head_with_a_3x3_bottleneck_computes_enc_head():
    """Loaded with EncHead's weights, the 3x3 variant gives EncHead's
    outputs: the like-for-like head for the dilated EncNet."""
    common = dict(in_channels=[16, 24, 32], in_index=(0, 1, 2), channels=16,
                  num_codes=4, num_classes=5, add_lateral=True,
                  norm_cfg=dict(type='BN'))
    stock = MODELS.build(dict(type='EncHead', **common)).eval()
    head = MODELS.build(
        dict(type='FastFCNEncHead', bottleneck_kernel_size=3, **common))
    head.load_state_dict(stock.state_dict())
    head.eval()
    inputs = [torch.randn(2, c, 9, 11) for c in (16, 24, 32)]
    with torch.no_grad():
        for actual, expected in zip(head(inputs), stock(inputs)):
            torch.testing.assert_close(actual, expected, rtol=1e-4,
                                       atol=1e-4)


def test_fastfcn_enc_head_has_only_its_own_bottleneck():
    common = dict(in_channels=[32, 64, 128], in_index=(0, 1, 2), channels=32,
                  num_codes=4, num_classes=5)
    head = MODELS.build(dict(type='FastFCNEncHead', **common))
    assert head.bottleneck.conv.kernel_size == (1, 1)
    stock = MODELS.build(dict(type='EncHead', **common))
    saved = 32 * 128 * (9 - 1)  # a 1x1 instead of a 3x3 conv
    assert sum(p.numel() for p in stock.parameters()) - sum(
        p.numel() for p in head.parameters()) == saved
