"""The feed-forward style network (Johnson et al. 2016 with instance normalization, the layout of
pytorch/examples' fast_neural_style) in three sizes, written for instyle's ONNX runner: only Pad
(reflect), Conv, InstanceNormalization, Relu, Add and Resize (nearest) appear in its export.

    net = TransformerNet.build("light")      # or "full", "live"
    y = net(x)                               # x, y: N,3,H,W RGB, 0..255 in and out (zoo convention)

Internally it works on 0..1 images; the 1/255 and 255 scales live in the first and last conv
weights once exported (fold_io_scale), so the ONNX graph needs no extra Mul.
"""
import copy

import torch
import torch.nn as nn

ARCHS = {
    # channels of the three resolutions, residual blocks, first and last kernel size
    "full": dict(channels=(32, 64, 128), blocks=5),
    "light": dict(channels=(16, 32, 64), blocks=3),
    # For video: the light network with 3x3 first and last layers. In instyle's WebAssembly
    # build the light network's two 9x9 convolutions (3 -> 16 and 16 -> 3: few channels, so
    # neither Winograd nor much register reuse) take 37% of a frame at about 30 GFLOP/s while
    # holding 23% of its FLOPs (npm run profile); at 3x3 they cost a ninth. The residual blocks
    # at a quarter of the resolution still see far (receptive field 37 px instead of 61).
    "live": dict(channels=(16, 32, 64), blocks=3, first_k=3, last_k=3),
}


class ConvLayer(nn.Sequential):
    """Reflection padding keeps borders free of the dark frame zero padding leaves."""

    def __init__(self, cin, cout, k, stride=1):
        super().__init__(nn.ReflectionPad2d(k // 2), nn.Conv2d(cin, cout, k, stride))


class ConvINReLU(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1, upsample=False):
        layers = [nn.Upsample(scale_factor=2, mode="nearest")] if upsample else []
        layers += [ConvLayer(cin, cout, k, stride), nn.InstanceNorm2d(cout, affine=True), nn.ReLU()]
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(ConvLayer(c, c, 3), nn.InstanceNorm2d(c, affine=True), nn.ReLU(),
                                  ConvLayer(c, c, 3), nn.InstanceNorm2d(c, affine=True))

    def forward(self, x):
        return x + self.body(x)


class TransformerNet(nn.Module):
    def __init__(self, channels=(32, 64, 128), blocks=5, first_k=9, last_k=9):
        super().__init__()
        c1, c2, c3 = channels
        self.encoder = nn.Sequential(ConvINReLU(3, c1, first_k), ConvINReLU(c1, c2, 3, 2), ConvINReLU(c2, c3, 3, 2))
        self.residual = nn.Sequential(*[ResidualBlock(c3) for _ in range(blocks)])
        self.decoder = nn.Sequential(ConvINReLU(c3, c2, 3, upsample=True), ConvINReLU(c2, c1, 3, upsample=True),
                                     ConvLayer(c1, 3, last_k))
        # 0..255 at the interface, 0..1 inside; fold_io_scale() moves these into the weights.
        self.in_scale = 1 / 255
        self.out_scale = 255.0

    @staticmethod
    def build(arch):
        return TransformerNet(**ARCHS[arch])

    def forward(self, x):
        if self.in_scale != 1:
            x = x * self.in_scale
        y = self.decoder(self.residual(self.encoder(x)))
        return y * self.out_scale if self.out_scale != 1 else y

    def forward01(self, x01):
        """The network on 0..1 images (training and evaluation)."""
        return self.decoder(self.residual(self.encoder(x01)))

    def fold_io_scale(self):
        """A copy whose first conv takes 0..255 and last conv gives 0..255 directly.
        Reflection padding commutes with scaling, so this is exact up to rounding."""
        net = copy.deepcopy(self)
        first = net.encoder[0][0][1]
        last = net.decoder[-1][1]
        with torch.no_grad():
            first.weight.mul_(self.in_scale)
            last.weight.mul_(self.out_scale)
            last.bias.mul_(self.out_scale)
        net.in_scale = net.out_scale = 1
        return net


def count_params(net):
    return sum(p.numel() for p in net.parameters())


def _self_test():
    torch.manual_seed(0)
    for arch in ARCHS:
        net = TransformerNet.build(arch).eval()
        for p in net.parameters():  # non-trivial IN affine parameters
            p.data.add_(0.1 * torch.randn_like(p))
        x = torch.rand(1, 3, 36, 52) * 255  # multiples of 4 keep the size (else rounded up)
        with torch.no_grad():
            a = net(x)
            b = net.fold_io_scale()(x)
        assert a.shape == x.shape, a.shape
        err = (a - b).abs().max().item() / a.abs().max().item()
        assert err < 1e-5, err
        print(f"{arch}: {count_params(net)} parameters, folded scale rel diff {err:.1e}")


if __name__ == "__main__":
    _self_test()
