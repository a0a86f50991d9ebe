"""The perceptual loss used to train and judge style networks: Gram-matrix style losses and a
feature content loss on nsfwjs's MobileNetV2 (converted by nsfwjs_to_torch.py), plus total
variation. Images are N,3,H,W RGB in 0..1 throughout.

    loss = PerceptualLoss(style_rgb01)                 # Gram targets of the style image
    loss.calibrate(photo_batches)                      # each style layer's loss on photos -> 1
    terms = loss(output, photo)                        # dict: content, style, style_<layer>, tv
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from nsfwjs_to_torch import load_mobilenet_v2

STYLE_LAYERS = ["Conv1_relu", "block_1_expand_relu", "block_3_expand_relu",
                "block_6_expand_relu", "block_13_expand_relu"]
CONTENT_LAYER = "block_6_expand_relu"


def gram(f):
    """N,C,H,W -> N,C,C, divided by H*W so that image size does not change its scale."""
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (h * w)


def total_variation(y):
    return (y[:, :, 1:, :] - y[:, :, :-1, :]).abs().mean() + (y[:, :, :, 1:] - y[:, :, :, :-1]).abs().mean()


class PerceptualLoss(nn.Module):
    def __init__(self, style, style_layers=STYLE_LAYERS, content_layer=CONTENT_LAYER, cache=None):
        super().__init__()
        self.style_layers = list(style_layers)
        self.content_layer = content_layer
        outs = list(dict.fromkeys(self.style_layers + [content_layer]))
        self.net = load_mobilenet_v2(outs, cache)
        self.content_net = load_mobilenet_v2([content_layer], cache)  # stops early: photo features only
        with torch.no_grad():
            feats = self.net(style)
            for i, l in enumerate(self.style_layers):
                self.register_buffer(f"target{i}", gram(feats[l]).mean(0, keepdim=True))
        # Scales that bring each term to about 1 on ordinary photos (see calibrate()).
        self.register_buffer("style_norm", torch.ones(len(self.style_layers)))
        self.register_buffer("content_norm", torch.ones(()))

    def targets(self):
        return [getattr(self, f"target{i}") for i in range(len(self.style_layers))]

    @torch.no_grad()
    def calibrate(self, batches):
        """Sets each style layer's scale so that a plain photo scores 1 on it (as in the probe:
        no layer dominates just because its Gram values are large), and the content scale to
        the photos' mean squared content feature, so content loss is a relative error."""
        s = torch.zeros(len(self.style_layers))
        c = torch.zeros(())
        for x in batches:
            feats = self.net(x)
            s += torch.stack([F.mse_loss(gram(feats[l]), t.expand(x.shape[0], -1, -1))
                              for l, t in zip(self.style_layers, self.targets())])
            c += feats[self.content_layer].pow(2).mean()
        self.style_norm.copy_(s / len(batches))
        self.content_norm.copy_(c / len(batches))

    def forward(self, y, x=None, x_feats=None):
        """Terms for output y against photo x (content); each style term is 1 for a photo.
        x_feats: the photo's content features, if already computed."""
        feats = self.net(y)
        out = {}
        style = []
        for i, (l, t) in enumerate(zip(self.style_layers, self.targets())):
            v = F.mse_loss(gram(feats[l]), t.expand(y.shape[0], -1, -1)) / self.style_norm[i]
            out[f"style_{l}"] = v
            style.append(v)
        out["style"] = torch.stack(style).sum()
        if x is not None or x_feats is not None:
            if x_feats is None:
                x_feats = self.content_features(x)
            out["content"] = F.mse_loss(feats[self.content_layer], x_feats) / self.content_norm
        out["tv"] = total_variation(y)
        return out

    @torch.no_grad()
    def content_features(self, x):
        return self.content_net(x)[self.content_layer]
