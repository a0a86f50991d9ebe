"""A VGG-19 with RANDOM weights, as a perceptual-loss network: the network is a seed, so no
pretrained weights are downloaded or shipped. Wang, Li & Vasconcelos (CVPR 2021) found that a
random-weight VGG stylizes about as well as a trained one; He, Wang & Hopcroft (NeurIPS 2016)
used one as an image representation. The probe in shared/probes/ confirmed it here: by pixel
optimization it repaints photos in the artwork's palette and forms, where nsfwjs's MobileNetV2
only adds a fine texture.

    vgg = RandomVGG(seed=0, width=0.5)             # half the channels: 4-8x cheaper, as strong
    feats = vgg(x01, {"relu1_1", "relu2_1"})       # x01: N,3,H,W RGB in 0..1 -> dict of N,C,h,w

Weights: He normal (std sqrt(2 / fan_in)), zero bias, drawn from a torch.Generator seeded with
`seed`, layer by layer in a fixed order, so the same seed gives the same network on any
machine. Average pooling (max pooling transferred less style in the probe), reflect padding
(no dark frame for the Gram matrices to learn).

`highpass=True` removes each filter's spatial mean (for every input channel), so no filter
responds to a flat region: the features see edges and strokes, not colour fields. With the
ordinary filters, a flat, posterized picture in the artwork's colours matches the Gram
statistics almost as well as a painted one (the probe's feed-forward pilots); the high-pass
network's statistics need the density of strokes. Colour then comes from an ordinary network
beside it (PerceptualLoss takes several).
"""
import torch
import torch.nn as nn

# VGG-19's convolution widths ('M': 2x2 pooling) and the names of their ReLU outputs.
LAYOUT = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512]
NAMES = ["1_1", "1_2", None, "2_1", "2_2", None, "3_1", "3_2", "3_3", "3_4", None,
         "4_1", "4_2", "4_3", "4_4", None, "5_1"]
LAYERS = ["relu" + n for n in NAMES if n]


class RandomVGG(nn.Module):
    def __init__(self, seed=0, width=0.5, pool="avg", highpass=False):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        layers, self.names, cin = [], [], 3
        for v, n in zip(LAYOUT, NAMES):
            if v == "M":
                layers.append(nn.AvgPool2d(2) if pool == "avg" else nn.MaxPool2d(2))
                self.names.append(None)
                continue
            c = max(8, int(v * width))
            conv = nn.Conv2d(cin, c, 3, padding=1, padding_mode="reflect")
            with torch.no_grad():
                w = torch.randn(conv.weight.shape, generator=g) * (2.0 / (cin * 9)) ** 0.5
                if highpass:
                    w = w - w.mean(dim=(2, 3), keepdim=True)
                    w = w * (2.0 / (cin * 9)) ** 0.5 / w.std()  # keep He's scale after the centring
                conv.weight.copy_(w)
                conv.bias.zero_()
            layers += [conv, nn.ReLU()]
            self.names += [None, "relu" + n]
            cin = c
        self.layers = nn.ModuleList(layers)
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x, want):
        """Features named in `want` (a set of LAYERS names); stops after the deepest one."""
        unknown = set(want) - set(LAYERS)
        if unknown:
            raise ValueError(f"RandomVGG has no layer {sorted(unknown)}; it has {LAYERS}")
        last = max(i for i, n in enumerate(self.names) if n in want)
        out = {}
        x = (x - 0.45) / 0.225  # roughly zero mean, unit spread for photos
        for i, (m, n) in enumerate(zip(self.layers, self.names)):
            x = m(x)
            if n in want:
                out[n] = x
            if i == last:
                break
        return out


def _self_test():
    a = RandomVGG(seed=3)(torch.rand(1, 3, 32, 32), {"relu2_1"})["relu2_1"]
    b = RandomVGG(seed=3)(torch.rand(1, 3, 32, 32) * 0 + 0.5, {"relu2_1"})["relu2_1"]
    hp = RandomVGG(seed=3, highpass=True)
    flat = hp(torch.full((1, 3, 32, 32), 0.7), {"relu1_1"})["relu1_1"]
    assert a.shape == (1, 64, 16, 16), a.shape
    assert flat.abs().max() < 1e-5, "a high-pass network must not respond to a flat image"
    assert b.abs().max() > 0, "an ordinary network responds to colour"
    print("random_vgg: ok")


if __name__ == "__main__":
    _self_test()
