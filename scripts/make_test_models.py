#!/usr/bin/python3
"""Builds the ONNX test models for instyle's model runner, with PyTorch reference outputs.

    /usr/bin/python3 scripts/make_test_models.py [OUT_DIR]     (default: build/test-models)

Needs Debian's python3-torch and python3-onnx (/usr/bin/python3; the first python3 on PATH
may be another one without numpy). Writes into OUT_DIR (git-ignored):
  <name>.onnx                  the models (see MODELS below)
  input.<H>x<W>.bin            seeded inputs, float32 little-endian, [1,3,H,W], values 0..255
  <name>.<H>x<W>.out.bin       PyTorch's output for that input, float32 [1,3,OH,OW]
  manifest.txt                 one line per case: model opset input H W output OH OW
  manifest.json                the same for the JavaScript tests
Runs in well under a minute; the files are rebuilt only when this script is newer.

The networks are written here from the architecture of pytorch/examples' fast-neural-style
TransformerNet (reflection padding, 9x9 and 3x3 convolutions, affine InstanceNorm2d, five
residual blocks, nearest upsampling then convolution), with seeded weights and randomized
instance-norm affine parameters so that a runner ignoring gamma/beta fails.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnx.helper
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = [(64, 80), (52, 44)]  # two input sizes: the models have dynamic height and width
SEED = 1234


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = ConvLayer(c, c, 3, 1)
        self.in1 = nn.InstanceNorm2d(c, affine=True)
        self.conv2 = ConvLayer(c, c, 3, 1)
        self.in2 = nn.InstanceNorm2d(c, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.relu(self.in1(self.conv1(x)))
        return self.in2(self.conv2(out)) + x


class UpsampleConvLayer(nn.Module):
    """Nearest upsampling then convolution. `by_size` computes the target size from the
    input's shape, which exporters turn into Shape/Gather/Mul/Concat arithmetic."""

    def __init__(self, cin, cout, k, stride, upsample, by_size=False):
        super().__init__()
        self.upsample = upsample
        self.by_size = by_size
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x):
        if self.by_size:
            x = F.interpolate(x, size=(x.shape[2] * self.upsample, x.shape[3] * self.upsample),
                              mode='nearest')
        else:
            x = F.interpolate(x, mode='nearest', scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))


class TransformerNet(nn.Module):
    def __init__(self, c=(32, 64, 128), blocks=5, by_size=False):
        super().__init__()
        c1, c2, c3 = c
        self.conv1 = ConvLayer(3, c1, 9, 1)
        self.in1 = nn.InstanceNorm2d(c1, affine=True)
        self.conv2 = ConvLayer(c1, c2, 3, 2)
        self.in2 = nn.InstanceNorm2d(c2, affine=True)
        self.conv3 = ConvLayer(c2, c3, 3, 2)
        self.in3 = nn.InstanceNorm2d(c3, affine=True)
        self.res = nn.Sequential(*[ResidualBlock(c3) for _ in range(blocks)])
        self.deconv1 = UpsampleConvLayer(c3, c2, 3, 1, 2, by_size)
        self.in4 = nn.InstanceNorm2d(c2, affine=True)
        self.deconv2 = UpsampleConvLayer(c2, c1, 3, 1, 2, by_size)
        self.in5 = nn.InstanceNorm2d(c1, affine=True)
        self.deconv3 = ConvLayer(c1, 3, 9, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        y = self.res(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


class MixedNet(nn.Module):
    """The other ops the runner supports, in one small network: BatchNorm, LeakyReLU,
    ConvTranspose, bilinear resize, concatenation, edge and constant padding, channel-wise
    arithmetic, Sigmoid, Tanh, Clip."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 12, 3, stride=2, padding=1, groups=1)
        self.dw = nn.Conv2d(12, 12, 3, padding=1, groups=4)
        self.up = nn.ConvTranspose2d(12, 8, 3, stride=2, padding=1, output_padding=1)
        self.conv3 = nn.Conv2d(16, 3, 3)
        self.register_buffer('mean', torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255)

    def forward(self, x):
        x = (x - self.mean) / 58.0
        a = F.leaky_relu(self.bn1(self.conv1(x)), 0.2)
        b = torch.relu(self.conv2(F.pad(a, (1, 2, 0, 1), mode='replicate')))
        b = torch.sigmoid(self.dw(b)) * b
        b = self.up(b)
        b = F.interpolate(b, size=a.shape[2:], mode='bilinear', align_corners=False)
        y = torch.cat([a, torch.tanh(b)], 1)
        y = self.conv3(F.pad(y, (1, 1, 1, 1), mode='constant', value=0.5))
        return torch.clamp(y * 40.0 + 128.0, 0.0, 255.0)


def seeded(model, seed):
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            m.reset_parameters()
        if isinstance(m, nn.InstanceNorm2d) and m.affine:
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def export(model, path, opset, example):
    torch.onnx.export(model, example, path, opset_version=opset, input_names=['input'],
                      output_names=['output'],
                      dynamic_axes={'input': {2: 'height', 3: 'width'},
                                    'output': {2: 'height', 3: 'width'}})


def to_zoo_opset8(src, dst):
    """Rewrites an opset-9 export the way the ONNX model zoo's fast-neural-style files are
    laid out: opset 8, Upsample with a `scales` attribute, IR version 3 with every
    initializer listed among the graph inputs, input and output fixed at [1,3,224,224]."""
    m = onnx.load(src)
    consts = {}
    for n in m.graph.node:
        if n.op_type == 'Constant':
            consts[n.output[0]] = onnx.numpy_helper.to_array(n.attribute[0].t)
    for n in m.graph.node:
        if n.op_type == 'Upsample':
            scales = consts[n.input[1]]
            del n.input[1]
            n.attribute.append(onnx.helper.make_attribute('scales', [float(s) for s in scales]))
    used = {i for n in m.graph.node for i in n.input}
    keep = [n for n in m.graph.node if n.op_type != 'Constant' or n.output[0] in used]
    del m.graph.node[:]
    m.graph.node.extend(keep)
    for t in m.graph.initializer:
        m.graph.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    # The zoo declares a fixed 224x224 input and output; the runner takes any size anyway.
    for v in (m.graph.input[0], m.graph.output[0]):
        for d, n in zip(v.type.tensor_type.shape.dim[2:], (224, 224)):
            d.ClearField('dim_param')
            d.dim_value = n
    m.opset_import[0].version = 8
    m.ir_version = 3
    onnx.save(m, dst)


def to_fp16_storage(src, dst):
    """Stores every float weight as float16 with a Cast back to float: how a model halves
    its download size."""
    m = onnx.load(src)
    casts = []
    for t in m.graph.initializer:
        if t.data_type != onnx.TensorProto.FLOAT:
            continue
        a = onnx.numpy_helper.to_array(t).astype(np.float16)
        name = t.name
        t.CopyFrom(onnx.numpy_helper.from_array(a, name + '_fp16'))
        casts.append(onnx.helper.make_node('Cast', [name + '_fp16'], [name], to=onnx.TensorProto.FLOAT,
                                           name='cast_' + name))
    nodes = casts + list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    onnx.save(m, dst)


TRAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'train')
# The arbitrary-style test model is built by the training scripts' own export (arbitrary_net.py).
SOURCES = [os.path.abspath(__file__)] + [os.path.join(TRAIN, f) for f in
                                         ('arbitrary_net.py', 'random_vgg.py', 'onnx_tools.py')]


def arbitrary_case(out):
    """A small arbitrary-style network: arbitrary_net.py's encoder (random VGG at 1/8 width, up to
    relu3_1), InstanceNormalization "adain" and a seeded random decoder, exported as the package
    ships them, with PyTorch references for tests/js/arbitrary.test.mjs: arbitrary.json names a
    photo and a style image (RGBA bytes) and the expected outputs (float32 [1,3,H,W], 0..255,
    unclipped) at strength 1 and 0.5, for each transform ("wct1", "adain0.5", ...)."""
    sys.path.insert(0, TRAIN)
    import arbitrary_net
    torch.manual_seed(SEED + 3)
    enc = arbitrary_net.Encoder(seed=SEED, width=0.125, level='relu3_1')
    dec = arbitrary_net.Decoder(0.125, 'relu3_1')
    rng = np.random.default_rng(SEED + 3)

    def image(h, w, name):
        # Smooth colour fields plus noise, so that statistics differ between channels.
        yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
        base = np.stack([np.sin(6 * xx + 1), np.cos(5 * yy), np.sin(4 * (xx + yy))], -1) * 80 + 128
        rgb = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
        rgba = np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], -1)
        rgba.tofile(os.path.join(out, name))
        return torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)[None]

    photo, style = image(40, 56, 'arbitrary.photo.rgba'), image(36, 44, 'arbitrary.style.rgba')
    # A random decoder's output hugs zero; spread it over mid-greys so that clipping hides nothing.
    last = [m for m in dec.modules() if isinstance(m, nn.Conv2d)][-1]
    with torch.no_grad():
        last.bias.zero_()
        spread = float(arbitrary_net.reference(enc, dec, photo, style).std()) / 255
        last.weight.mul_(0.15 / spread)
        last.bias.fill_(0.5)
    arbitrary_net.export(enc, dec, os.path.join(out, 'arbitrary.onnx'))
    refs = {}
    for transform in ('wct', 'adain'):
        for k in (1.0, 0.5):
            y = arbitrary_net.reference(enc, dec, photo, style, k, transform).numpy().astype(np.float32)
            name = 'arbitrary.%s%g.out.bin' % (transform, k)
            y.tofile(os.path.join(out, name))
            refs['%s%g' % (transform, k)] = {'file': name, 'shape': list(y.shape)}
    with open(os.path.join(out, 'arbitrary.json'), 'w') as f:
        json.dump({'model': 'arbitrary.onnx', 'layer': arbitrary_net.LAYER,
                   'photo': {'file': 'arbitrary.photo.rgba', 'width': 56, 'height': 40},
                   'style': {'file': 'arbitrary.style.rgba', 'width': 44, 'height': 36},
                   'outputs': refs}, f, indent=1)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'build/test-models'
    os.makedirs(out, exist_ok=True)
    stamp = os.path.join(out, 'manifest.txt')
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= max(os.path.getmtime(f) for f in SOURCES):
        print('test models are up to date in', out)
        return
    torch.set_num_threads(2)

    inputs = {}
    rng = np.random.default_rng(SEED)
    for h, w in SIZES:
        x = rng.uniform(0, 255, size=(1, 3, h, w)).astype(np.float32)
        x.tofile(os.path.join(out, 'input.%dx%d.bin' % (h, w)))
        inputs[(h, w)] = x

    full = seeded(TransformerNet(), SEED)
    small = seeded(TransformerNet((8, 16, 32), blocks=2), SEED + 1)
    small_by_size = seeded(TransformerNet((8, 16, 32), blocks=2, by_size=True), SEED + 1)
    small_fp16 = seeded(TransformerNet((8, 16, 32), blocks=2), SEED + 1)
    with torch.no_grad():
        for p in small_fp16.parameters():
            p.copy_(p.half().float())  # the reference sees the weights the fp16 file stores
    mixed = seeded(MixedNet(), SEED + 2)

    example = torch.from_numpy(inputs[SIZES[0]])
    cases = []  # (model file, opset, network)

    def add(name, net, opset):
        path = os.path.join(out, name + '.onnx')
        export(net, path, opset, example)
        cases.append((name, opset, net))

    for opset in (9, 11, 13, 16, 17):
        add('transformer.opset%d' % opset, full, opset)
        add('small.opset%d' % opset, small, opset)
    for opset in (9, 11, 13):
        add('small-by-size.opset%d' % opset, small_by_size, opset)
    for opset in (11, 13):
        add('mixed.opset%d' % opset, mixed, opset)

    to_zoo_opset8(os.path.join(out, 'transformer.opset9.onnx'), os.path.join(out, 'transformer.zoo8.onnx'))
    cases.append(('transformer.zoo8', 8, full))
    export(small, os.path.join(out, 'tmp.onnx'), 13, example)
    to_fp16_storage(os.path.join(out, 'tmp.onnx'), os.path.join(out, 'small-fp16.opset13.onnx'))
    os.remove(os.path.join(out, 'tmp.onnx'))
    cases.append(('small-fp16.opset13', 13, small_fp16))

    arbitrary_case(out)

    # What onnx (the reference protobuf reader) sees in each file, for the reader's tests.
    for name, _, _ in cases:
        m = onnx.load(os.path.join(out, name + '.onnx'))
        total = 0.0
        for t in m.graph.initializer:
            a = onnx.numpy_helper.to_array(t)
            if a.dtype.kind == 'f':
                total += float(np.abs(a.astype(np.float64)).sum())
        dims = [d.dim_param or str(d.dim_value) for d in m.graph.input[0].type.tensor_type.shape.dim]
        with open(os.path.join(out, name + '.summary.txt'), 'w') as f:
            f.write('opset %d\n' % m.opset_import[0].version)
            f.write('nodes %d\n' % len(m.graph.node))
            f.write('initializers %d\n' % len(m.graph.initializer))
            f.write('input %s %s\n' % (m.graph.input[0].name, ','.join(dims)))
            f.write('float_abs_sum %.6f\n' % total)
            f.write('first_node %s %s\n' % (m.graph.node[0].op_type, m.graph.node[0].name or '-'))

    lines, entries = [], []
    refs = {}
    for name, opset, net in cases:
        for h, w in SIZES:
            key = (id(net), h, w)
            if key not in refs:
                with torch.no_grad():
                    refs[key] = net(torch.from_numpy(inputs[(h, w)])).numpy().astype(np.float32)
            y = refs[key]
            out_file = '%s.%dx%d.out.bin' % (name, h, w)
            y.tofile(os.path.join(out, out_file))
            lines.append('%s.onnx %d input.%dx%d.bin %d %d %s %d %d' %
                         (name, opset, h, w, h, w, out_file, y.shape[2], y.shape[3]))
            entries.append({'model': name + '.onnx', 'opset': opset,
                            'input': 'input.%dx%d.bin' % (h, w), 'inputShape': [1, 3, h, w],
                            'output': out_file, 'outputShape': list(y.shape)})
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(entries, f, indent=1)
    with open(stamp, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('wrote %d models, %d cases to %s' % (len(cases), len(lines), out))


if __name__ == '__main__':
    main()
