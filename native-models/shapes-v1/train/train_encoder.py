"""Contrastive dual encoder (CLIP-style) on the public world. Multi-positive InfoNCE:
a caption matches every image in the batch that has all attributes the caption names."""
import os, sys, time, json, argparse
import numpy as np
import torch
import torch.nn.functional as F
import world, models
from common import to32, match_matrix
from make_data import load

ap = argparse.ArgumentParser()
ap.add_argument("--minutes", type=float, default=12)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--seed", type=int, default=10)
ap.add_argument("--init", default=None, help="start from this checkpoint (fine-tune)")
ap.add_argument("--hard", type=float, default=0.0, help="fraction of the batch that are hard-negative twins")
ap.add_argument("--lr", type=float, default=2e-3)
ap.add_argument("--out", default="encoder.pt")
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
HERE = os.path.dirname(os.path.abspath(__file__))
CK = os.path.join(HERE, "checkpoints"); os.makedirs(CK, exist_ok=True)

tr = load("pub_train"); va = load("pub_val")
txt = models.TextEncoder(len(world.VOCAB), world.MAXLEN)
img = models.ImageEncoder()
logit_scale = torch.nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))
params = list(txt.parameters()) + list(img.parameters()) + [logit_scale]
if args.init:
    st = torch.load(os.path.join(CK, args.init), weights_only=False)
    txt.load_state_dict(st["txt"]); img.load_state_dict(st["img"])
    if "logit_scale" in st:
        logit_scale.data.fill_(float(st["logit_scale"]))
    else:
        logit_scale.data.fill_(float(np.log(21.0)))
opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)


def twin(a):
    """a hard negative: the same picture with the shape and background colours swapped, or one attribute changed"""
    b = dict(a)
    if rng.random() < 0.6 and a["color"] != a["background"]:
        b["color"], b["background"] = a["background"], a["color"]
        return b
    k = ["shape", "color", "background", "texture", "size", "position"][rng.integers(6)]
    lst = {"shape": world.SHAPES, "color": world.COLORS, "background": world.BACKGROUNDS, "texture": world.TEXTURES,
           "size": world.SIZES, "position": world.POSITIONS}[k]
    while True:
        b[k] = lst[rng.integers(len(lst))]
        if b[k] != a[k] and b["color"] != b["background"]:
            return b


def hard_batch(idx, n):
    """replace the last n rows with freshly rendered twins of the first n rows"""
    names = [world.SHAPES, world.COLORS, world.BACKGROUNDS, world.TEXTURES, world.SIZES, world.POSITIONS]
    ims = tr["imgs"][idx].copy(); ids = tr["ids"][idx].copy(); at = tr["attrs"][idx].copy(); me = tr["mentioned"][idx].copy()
    for j in range(n):
        a = {k: names[i][int(v)] for i, (k, v) in enumerate(zip(world.ATTR_KEYS, at[j]))}
        b = twin(a)
        r = len(idx) - n + j
        ims[r] = world.render(b, rng)
        c, m = world.caption(b, rng)
        ids[r] = world.tokenize(c); at[r] = world.attr_index(b); me[r] = [k in m for k in world.ATTR_KEYS]
    return ims, ids, at, me
print("params text %d image %d" % (models.nparams(txt), models.nparams(img)), flush=True)


@torch.no_grad()
def evaluate():
    txt.eval(); img.eval()
    G = 1000
    ie = img(to32(va["imgs"][:G]))
    te = txt(torch.from_numpy(va["ids"][:G]))
    sims = te @ ie.T
    match = match_matrix(va["attrs"][:G], va["mentioned"][:G], va["attrs"][:G])
    top = sims.topk(5, dim=1).indices
    hit5 = match.gather(1, top).any(1).float().mean().item()
    hit1 = match.gather(1, top[:, :1]).any(1).float().mean().item()
    txt.train(); img.train()
    return hit1, hit5


B = 256
N = len(tr["ids"])
t0 = time.time(); step = 0
total = args.minutes * 60
while True:
    el = time.time() - t0
    if el > total:
        break
    lr = args.lr * min(1, step / (20 if args.init else 200)) * (0.5 * (1 + np.cos(np.pi * min(1.0, el / total))) * 0.95 + 0.05)
    for g in opt.param_groups:
        g["lr"] = lr
    idx = rng.integers(0, N, B)
    ims, bids, bat, bme = hard_batch(idx, int(B * args.hard)) if args.hard > 0 else \
        (tr["imgs"][idx], tr["ids"][idx], tr["attrs"][idx], tr["mentioned"][idx])
    x = to32(ims, rng)
    x = x + 0.02 * torch.randn_like(x) * float(rng.random() < 0.5)
    ie = img(x)
    te = txt(torch.from_numpy(bids))
    logits = logit_scale.exp().clamp(max=100) * te @ ie.T
    M = match_matrix(bat, bme, bat).float()
    l_t2i = -(F.log_softmax(logits, 1) * (M / M.sum(1, keepdim=True))).sum(1).mean()
    l_i2t = -(F.log_softmax(logits.T, 1) * (M.T / M.T.sum(1, keepdim=True))).sum(1).mean()
    loss = (l_t2i + l_i2t) / 2
    opt.zero_grad(); loss.backward(); opt.step()
    step += 1
    if step % 200 == 0:
        h1, h5 = evaluate()
        print("step %d min %.1f loss %.4f scale %.1f lr %.2e val top1 %.4f top5 %.4f" %
              (step, el / 60, loss.item(), logit_scale.exp().item(), lr, h1, h5), flush=True)
        torch.save({"txt": txt.state_dict(), "img": img.state_dict(), "logit_scale": logit_scale.item()}, os.path.join(CK, args.out))
h1, h5 = evaluate()
print("FINAL steps %d minutes %.1f text->image top1 %.4f top5 %.4f (gallery 1000 held-out public)" %
      (step, (time.time() - t0) / 60, h1, h5), flush=True)
torch.save({"txt": txt.state_dict(), "img": img.state_dict(), "steps": step, "minutes": (time.time() - t0) / 60,
            "top1": h1, "top5": h5, "logit_scale": logit_scale.item(), "init": args.init, "hard": args.hard},
           os.path.join(CK, args.out))
