"""Independent attribute classifier (the judge), used only by evaluation, never by generation."""
import os, time, argparse
import numpy as np
import torch
import torch.nn.functional as F
import world, models
from common import to32
from make_data import load

ap = argparse.ArgumentParser()
ap.add_argument("--minutes", type=float, default=6)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--seed", type=int, default=20)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
HERE = os.path.dirname(os.path.abspath(__file__))
CK = os.path.join(HERE, "checkpoints"); os.makedirs(CK, exist_ok=True)

tr = load("pub_train"); va = load("pub_val")
judge = models.Judge(len(world.SHAPES), len(world.COLORS), len(world.BACKGROUNDS), len(world.TEXTURES))
print("judge params %d" % models.nparams(judge), flush=True)
opt = torch.optim.AdamW(judge.parameters(), lr=2e-3, weight_decay=0.01)
NAMES = ["shape", "color", "background", "texture"]


@torch.no_grad()
def evaluate(n=4000):
    judge.eval()
    x = to32(va["imgs"][-n:])  # last 4000 of pub_val: never used for retrieval galleries
    y = torch.from_numpy(va["attrs"][-n:, :4].astype(np.int64))
    outs = judge(x)
    acc = [(o.argmax(1) == y[:, i]).float().mean().item() for i, o in enumerate(outs)]
    judge.train()
    return acc


def augment(x):
    B = x.shape[0]
    # mild pixel noise and occasional blur, so the judge reads imperfect (generated) images the same way
    s = torch.rand(B, 1, 1, 1) * 0.15
    x = x + s * torch.randn_like(x)
    blur = torch.rand(B) < 0.3
    if blur.any():
        k = torch.tensor([0.25, 0.5, 0.25])
        k2 = (k[:, None] * k[None, :]).expand(3, 1, 3, 3)
        x[blur] = F.conv2d(F.pad(x[blur], (1, 1, 1, 1), mode="replicate"), k2, groups=3)
    return x.clamp(-1, 1)


B = 256; N = len(tr["ids"]); t0 = time.time(); step = 0; total = args.minutes * 60
while time.time() - t0 < total:
    el = time.time() - t0
    lr = 2e-3 * min(1, step / 100) * (0.5 * (1 + np.cos(np.pi * min(1.0, el / total))) * 0.97 + 0.03)
    for g in opt.param_groups:
        g["lr"] = lr
    idx = rng.integers(0, N, B)
    x = augment(to32(tr["imgs"][idx], rng))
    y = torch.from_numpy(tr["attrs"][idx, :4].astype(np.int64))
    outs = judge(x)
    loss = sum(F.cross_entropy(o, y[:, i]) for i, o in enumerate(outs))
    opt.zero_grad(); loss.backward(); opt.step(); step += 1
    if step % 200 == 0:
        acc = evaluate()
        print("step %d min %.1f loss %.4f acc %s" % (step, el / 60, loss.item(),
              " ".join("%s=%.4f" % (n, a) for n, a in zip(NAMES, acc))), flush=True)
        torch.save({"judge": judge.state_dict()}, os.path.join(CK, "judge.pt"))
acc = evaluate()
print("FINAL steps %d minutes %.1f held-out render accuracy %s" % (step, (time.time() - t0) / 60,
      " ".join("%s=%.4f" % (n, a) for n, a in zip(NAMES, acc))), flush=True)
torch.save({"judge": judge.state_dict(), "steps": step, "minutes": (time.time() - t0) / 60,
            "acc": dict(zip(NAMES, acc))}, os.path.join(CK, "judge.pt"))
