"""Independent attribute classifier (the judge): content (shape, colour) and look (tone, fill, frame, pattern).
Used only by evaluation, never by generation."""
import os, time, argparse
import numpy as np
import torch
import torch.nn.functional as F
import world, models
from common import setup, to32, save_atomic, CK
from make_data import load


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20)
    return ap.parse_args()


def augment(x):
    """mild pixel noise and occasional blur, so the judge reads imperfect (generated) images the same way"""
    B = x.shape[0]
    x = x + torch.rand(B, 1, 1, 1) * 0.15 * torch.randn_like(x)
    blur = torch.rand(B) < 0.3
    if blur.any():
        k = torch.tensor([0.25, 0.5, 0.25])
        k2 = (k[:, None] * k[None, :]).expand(3, 1, 3, 3)
        x[blur] = F.conv2d(F.pad(x[blur], (1, 1, 1, 1), mode="replicate"), k2, groups=3)
    return x.clamp(-1, 1)


@torch.no_grad()
def evaluate(judge, va, n=4000):
    judge.eval()
    x = to32(va["imgs"][-n:])  # the last 4000 of pub_val: never used as a retrieval gallery
    y = torch.from_numpy(va["attrs"][-n:].astype(np.int64))
    acc = [(o.argmax(1) == y[:, i]).float().mean().item() for i, o in enumerate(judge(x))]
    judge.train()
    return acc


def main():
    args = parse()
    rng = setup(args.threads, args.seed)
    tr = load("pub_train"); va = load("pub_val")
    judge = models.Judge([len(world.VALUES[k]) for k in world.ATTR_KEYS])
    print("judge params %d" % models.nparams(judge), flush=True)
    opt = torch.optim.AdamW(judge.parameters(), lr=2e-3, weight_decay=0.01)
    fmt = lambda acc: " ".join("%s=%.4f" % (n, a) for n, a in zip(world.ATTR_KEYS, acc))
    B = 256; N = len(tr["ids"]); t0 = time.time(); step = 0; total = args.minutes * 60
    while time.time() - t0 < total:
        el = time.time() - t0
        lr = 2e-3 * min(1, step / 100) * (0.5 * (1 + np.cos(np.pi * min(1.0, el / total))) * 0.97 + 0.03)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = rng.integers(0, N, B)
        x = augment(to32(tr["imgs"][idx], rng))
        y = torch.from_numpy(tr["attrs"][idx].astype(np.int64))
        loss = sum(F.cross_entropy(o, y[:, i]) for i, o in enumerate(judge(x)))
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
        if step % 200 == 0:
            print("step %d min %.1f loss %.4f acc %s" % (step, el / 60, loss.item(), fmt(evaluate(judge, va))), flush=True)
            save_atomic({"judge": judge.state_dict()}, os.path.join(CK, "judge.pt"))
    acc = evaluate(judge, va)
    print("FINAL steps %d minutes %.1f held-out render accuracy %s" % (step, (time.time() - t0) / 60, fmt(acc)), flush=True)
    save_atomic({"judge": judge.state_dict(), "steps": step, "minutes": (time.time() - t0) / 60,
                 "acc": dict(zip(world.ATTR_KEYS, acc))}, os.path.join(CK, "judge.pt"))


if __name__ == "__main__":
    main()
