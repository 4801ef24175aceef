#!/usr/bin/python3
"""PyTorch peer for `./streamfit bench train-peer`: the README's full-run recipe in PyTorch on the same machine.

Same network: MobileNet v1 0.75 built here and loaded from streamfit's bundled Keras h5 (the same weights), each
BatchNorm folded into its convolution as streamfit's optimized graph does, TF "same" padding, ReLU6, global average
pooling, a new softmax layer (Xavier). The frozen part runs through PyTorch's fastest correct CPU inference path
(traced and frozen; --eager-frozen for plain eager mode), the rest eagerly with autograd. The base is frozen but for its top --fine-tune-blocks depthwise-separable
blocks. Same recipe: Adam, head learning rate --lr, fine-tuned blocks --fine-tune-lr, cosine schedule over
--schedule-steps to 0, batch 16, --epochs passes over the train images, each image augmented afresh every epoch the
way streamfit's defaults do (rotation 30 degrees, shifts 0.1, zoom 0.9-1.1, horizontal flip; torchvision's RandomAffine,
isotropic zoom and constant fill instead of Keras' per-axis zoom and nearest fill), pixels scaled to [-1, 1].
Validation accuracy after every --eval-every steps and at each epoch end (its time counts in the wall time, as
streamfit's evaluations do); test accuracy once, of the best validation model.
Prints per evaluation a line, then one JSON object: wall time to each validation threshold, best val, test.
"""
import argparse
import json
import math
import os
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
from PIL import Image
import torchvision.transforms as T

BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


class SameConv(nn.Sequential):
    """A conv with TF 'same' padding (stride 2 on even sides: one row and column after), BN folded in (weight,
    bias), then ReLU6; plain nn modules, so that PyTorch's inference optimizations apply."""

    def __init__(self, w, b, stride, groups):
        k = w.shape[-1]
        conv = nn.Conv2d(w.shape[1] * groups, w.shape[0], k, stride, 1 if (k == 3 and stride == 1) else 0,
                         groups=groups, bias=True)
        with torch.no_grad():
            conv.weight.copy_(torch.tensor(w))
            conv.bias.copy_(torch.tensor(b))
        layers = [nn.ZeroPad2d((0, 1, 0, 1))] if (k == 3 and stride == 2) else []
        super().__init__(*layers, conv, nn.ReLU6(inplace=True))


def folded(f, conv, bn, depthwise):
    g = f["model_weights"]
    k = np.array(g[conv][conv]["depthwise_kernel:0" if depthwise else "kernel:0"])
    gamma, beta, mean, var = (np.array(g[bn][bn][n + ":0"]) for n in ("gamma", "beta", "moving_mean", "moving_variance"))
    scale = gamma / np.sqrt(var + 1e-3)
    if depthwise:
        w = k.transpose(2, 3, 0, 1) * scale[:, None, None, None]  # [kh,kw,in,1] -> [in,1,kh,kw]
    else:
        w = k.transpose(3, 2, 0, 1) * scale[:, None, None, None]  # [kh,kw,in,out] -> [out,in,kh,kw]
    return w.astype(np.float32), (beta - mean * scale).astype(np.float32)


def mobilenet_v1(h5):
    f = h5py.File(h5, "r")
    layers = [SameConv(*folded(f, "conv1", "conv1_bn", False), 2, 1)]
    for i, (_, stride) in enumerate(BLOCKS, start=1):
        w, b = folded(f, f"conv_dw_{i}", f"conv_dw_{i}_bn", True)
        layers.append(SameConv(w, b, stride, w.shape[0]))
        layers.append(SameConv(*folded(f, f"conv_pw_{i}", f"conv_pw_{i}_bn", False), 1, 1))
    return layers


class Net(nn.Module):
    def __init__(self, h5, classes, trainable_blocks):
        super().__init__()
        layers = mobilenet_v1(h5)
        cut = len(layers) - 2 * trainable_blocks
        self.frozen = nn.Sequential(*layers[:cut])
        self.top = nn.Sequential(*layers[cut:])
        for p in self.frozen.parameters():
            p.requires_grad = False
        features = [m for m in layers[-1] if isinstance(m, nn.Conv2d)][0].weight.shape[0]
        self.head = nn.Linear(features, classes)
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

        self.fast = None

    def optimize_frozen(self, size):
        """The frozen part as PyTorch's fastest correct CPU inference path: traced and frozen. (optimize_for_inference
        is faster but wrong with ReLU6 in torch 1.13: it fuses conv + hardtanh and gets up to 2.9 off on outputs of at
        most 6; see bench/torch_peer.py.) Checked against eager mode."""
        x = torch.rand(2, 3, size, size) * 2 - 1
        with torch.no_grad():
            self.fast = torch.jit.freeze(torch.jit.trace(self.frozen.eval(), x))
            err = (self.fast(x) - self.frozen(x)).abs().max().item()
        if err > 1e-4:
            raise SystemExit(f"traced frozen part differs from eager mode by {err}")

    def forward(self, x):
        with torch.no_grad():
            x = self.fast(x) if self.fast is not None else self.frozen(x)
        x = self.top(x)
        return self.head(x.mean(dim=(2, 3)))


def listing(root, split, labels):
    return [(os.path.join(root, split, c, n), i) for i, c in enumerate(labels)
            for n in sorted(os.listdir(os.path.join(root, split, c)))]


class Images(torch.utils.data.Dataset):
    def __init__(self, items, size, augment):
        self.items = items
        ops = [T.Resize((size, size))]
        if augment:
            ops += [T.RandomHorizontalFlip(), T.RandomAffine(30, translate=(0.1, 0.1), scale=(0.9, 1.1))]
        ops += [T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)]
        self.t = T.Compose(ops)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, y = self.items[i]
        return self.t(Image.open(path).convert("RGB")), y


def accuracy(net, loader):
    net.eval()
    right = n = 0
    with torch.no_grad():
        for x, y in loader:
            right += (net(x).argmax(1) == y).sum().item()
            n += len(y)
    net.train()
    return right / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--fine-tune-lr", type=float, default=0.001)
    ap.add_argument("--fine-tune-blocks", type=int, default=2)
    ap.add_argument("--schedule-steps", type=int, default=1534)
    ap.add_argument("--eval-every", type=int, default=96)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--thresholds", default="0.85,0.88,0.90")
    ap.add_argument("--eager-frozen", action="store_true", help="run the frozen part eagerly (default: optimized)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    labels = sorted(d for d in os.listdir(os.path.join(a.data, "train")) if not d.startswith("."))
    t0 = time.perf_counter()
    net = Net(a.weights, len(labels), a.fine_tune_blocks)
    if not a.eager_frozen:
        net.optimize_frozen(a.size)
    opt = torch.optim.Adam([{"params": net.head.parameters(), "lr": a.lr},
                            {"params": net.top.parameters(), "lr": a.fine_tune_lr}])
    base_lrs = [a.lr, a.fine_tune_lr]
    train = torch.utils.data.DataLoader(Images(listing(a.data, "train", labels), a.size, True), batch_size=a.batch,
                                        shuffle=True, num_workers=a.workers, drop_last=False, persistent_workers=a.workers > 0)
    val = torch.utils.data.DataLoader(Images(listing(a.data, "validation", labels), a.size, False), batch_size=32)
    test = torch.utils.data.DataLoader(Images(listing(a.data, "test", labels), a.size, False), batch_size=32)
    thresholds = [float(v) for v in a.thresholds.split(",")]
    reached = {}
    best, best_state, step = -1.0, None, 0
    loss_fn = nn.CrossEntropyLoss()

    def evaluate(trigger, epoch):
        nonlocal best, best_state
        acc = accuracy(net, val)
        wall = time.perf_counter() - t0
        for th in thresholds:
            if acc >= th and th not in reached:
                reached[th] = wall
        if acc > best:
            best, best_state = acc, {k: v.clone() for k, v in net.state_dict().items()}
        print(f"eval {trigger} epoch {epoch} step {step} val {acc:.4f} wall {wall:.1f} s", flush=True)

    for epoch in range(1, a.epochs + 1):
        for x, y in train:
            f = 0.5 * (1 + math.cos(math.pi * min(step, a.schedule_steps) / a.schedule_steps))
            for g, lr in zip(opt.param_groups, base_lrs):
                g["lr"] = lr * f
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
            step += 1
            if a.eval_every > 0 and step % a.eval_every == 0:
                evaluate("every_steps", epoch)
        evaluate("epoch_end", epoch)
    wall = time.perf_counter() - t0
    net.load_state_dict(best_state)
    out = {"torch": torch.__version__, "frozen": "eager" if a.eager_frozen else "traced+frozen", "threads": a.threads, "workers": a.workers, "steps": step, "wall_s": wall,
           "best_val": best, "test": accuracy(net, test),
           "time_to": {f"{th:.2f}": reached.get(th) for th in thresholds}}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
