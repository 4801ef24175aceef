#!/usr/bin/python3
"""PyTorch peer for `./streamfit bench model`: times the same architectures on the same machine.

MobileNetV2 width 0.35 (torchvision) and MobileNet v1 width 0.75 (defined below; torchvision has no v1),
both without their classifier, global-average-pooled. Weights are random: only time is measured.
Inference, eval mode, no_grad, four ways, and the fastest correct one counts: eager (the reference), traced + frozen (torch.jit.trace + torch.jit.freeze),
the same + torch.jit.optimize_for_inference (oneDNN layouts, conv/BN/ReLU fusion), and the same with channels-last
input and weights; a variant whose output differs from eager mode's (relative max error > 1e-3) is left out and
listed under "wrong" (torch 1.13's optimize_for_inference fuses conv + ReLU6 wrongly). BatchNorm statistics are set so that activations
reach ReLU6's clamp, as with trained weights.
Head training = frozen base forward (no_grad) + Linear(features, 10) softmax/cross-entropy + Adam step.
Threads: torch.set_num_threads(N) for each (batch, threads) pair of --configs, the same pairs streamfit times.
Prints one JSON object: {"<base>.<size>.bs<b>.t<n>": {"forward": best img/s, "best": variant, "variants": {variant:
img/s}, "train_head": img/s}, "torch": version}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torchvision


def mobilenet_v1(width=0.75):
    def conv_bn(inp, oup, stride):
        return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))

    def conv_dw(inp, oup, stride):
        return nn.Sequential(
            nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp), nn.ReLU6(inplace=True),
            nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))

    c = lambda n: int(n * width)
    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    layers = [conv_bn(3, c(32), 2)]
    inp = c(32)
    for out, s in cfg:
        layers.append(conv_dw(inp, c(out), s))
        inp = c(out)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()), inp


def base(name):
    if name == "mobilenetv2-0.35":
        m = torchvision.models.mobilenet_v2(width_mult=0.35)
        return nn.Sequential(m.features, nn.AdaptiveAvgPool2d(1), nn.Flatten()), m.last_channel
    if name == "mobilenet-v1-0.75":
        return mobilenet_v1(0.75)
    raise SystemExit("unknown base " + name)


def median_rate(fn, images, runs, min_seconds=0.5):
    for _ in range(3):
        fn()
    n = 1
    while True:  # calibrate iterations per run
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t >= min_seconds:
            break
        n *= 2
    rates = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append(n * images / (time.perf_counter() - t))
    return statistics.median(rates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bases", default="mobilenetv2-0.35,mobilenet-v1-0.75")
    ap.add_argument("--sizes", default="160,224")
    ap.add_argument("--configs", default="1:1,1:2,16:2", help="batch:threads pairs to time")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--variants", default="eager,frozen,optimized,optimized_cl",
                    help="inference variants to time: frozen, optimized (optimize_for_inference), optimized_cl (+ channels-last)")
    a = ap.parse_args()
    configs = [tuple(int(v) for v in p.split(":")) for p in a.configs.split(",")]
    torch.manual_seed(0)
    out = {"torch": torch.__version__}
    for name in a.bases.split(","):
        net, features = base(name)
        net.eval()
        # Random BatchNorm statistics (variance 1) shrink the activations layer by layer to ~1e-7, where ReLU6's clamp
        # never acts and a wrong fusion of it goes unseen; variance 0.05 keeps them in range (up to 6), as trained
        # weights do. Time does not depend on it.
        for mod in net.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_var.fill_(0.05)
        for size in map(int, a.sizes.split(",")):
            for bs, threads in configs:
                torch.set_num_threads(threads)
                x = torch.rand(bs, 3, size, size) * 2 - 1
                variants = {}
                wrong = {}
                with torch.no_grad():
                    frozen = torch.jit.freeze(torch.jit.trace(net, x))
                    for v in a.variants.split(","):
                        if v == "eager":
                            m, xin = net, x
                        elif v == "frozen":
                            m, xin = frozen, x
                        elif v == "optimized":
                            m, xin = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(net, x))), x
                        elif v == "optimized_cl":
                            cl = net.to(memory_format=torch.channels_last)
                            xin = x.contiguous(memory_format=torch.channels_last)
                            m = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(cl, xin)))
                            net.to(memory_format=torch.contiguous_format)
                        else:
                            raise SystemExit("unknown variant " + v)
                        # A variant counts only if it computes the same function: torch 1.13's optimize_for_inference
                        # fuses conv + ReLU6 wrongly (exact with ReLU), so it is checked against eager mode.
                        ref = net(x)
                        got = m(xin)
                        err = (got - ref).abs().max().item()
                        if err > 1e-3 * ref.abs().max().item() + 1e-30:
                            wrong[v] = err / max(ref.abs().max().item(), 1e-30)
                            continue
                        variants[v] = median_rate(lambda: m(xin), bs, a.runs)
                best = max(variants, key=variants.get)
                fwd = variants[best]
                head = nn.Linear(features, 10)
                opt = torch.optim.Adam(head.parameters(), lr=5e-3)
                y = torch.randint(0, 10, (bs,))
                loss_fn = nn.CrossEntropyLoss()

                def step():
                    with torch.no_grad():
                        f = frozen(x)
                    opt.zero_grad()
                    loss_fn(head(f), y).backward()
                    opt.step()

                train = median_rate(step, bs, a.runs)
                out[f"{name}.{size}.bs{bs}.t{threads}"] = {"forward": fwd, "best": best, "variants": variants, "wrong": wrong,
                                                           "train_head": train}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
