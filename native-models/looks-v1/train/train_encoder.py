"""Contrastive dual encoder (CLIP-style) on the public world. Multi-positive InfoNCE: a caption matches every image
in the batch that has all attributes the caption names. Captions name each look attribute half the time, so the
image embedding must hold the look (what retrieval carries) as well as the content (what prompts say).
Stage 2 (--hard) adds hard-negative twins: the same picture with one content or look attribute changed."""
import os, time, argparse
import numpy as np
import torch
import torch.nn.functional as F
import world, models
from common import setup, to32, match_matrix, save_atomic, CK
from make_data import load


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--init", default=None, help="start from this checkpoint (fine-tune)")
    ap.add_argument("--hard", type=float, default=0.0, help="fraction of the batch that are hard-negative twins")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--out", default="encoder.pt")
    return ap.parse_args()


def twin(a, rng):
    b = dict(a)
    k = world.ATTR_KEYS[rng.integers(len(world.ATTR_KEYS))]
    vals = world.VALUES[k]
    while b[k] == a[k]:
        b[k] = vals[rng.integers(len(vals))]
    return b


def hard_batch(tr, idx, n, rng):
    """replace the last n rows with freshly rendered twins of the first n rows"""
    ims = tr["imgs"][idx].copy(); ids = tr["ids"][idx].copy(); at = tr["attrs"][idx].copy(); me = tr["mentioned"][idx].copy()
    for j in range(n):
        a = {k: world.VALUES[k][int(v)] for k, v in zip(world.ATTR_KEYS, at[j])}
        b = twin(a, rng)
        r = len(idx) - n + j
        ims[r] = world.render(b, rng)
        c, m = world.caption(b, rng)
        ids[r] = world.tokenize(c); at[r] = world.attr_index(b); me[r] = [k in m for k in world.ATTR_KEYS]
    return ims, ids, at, me


@torch.no_grad()
def evaluate(txt, img, va, G=1000):
    """text->image top-1/top-5 on held-out renders, for full captions and for content-only captions"""
    txt.eval(); img.eval()
    ie = img(to32(va["imgs"][:G]))
    out = []
    for ids, ment in ((va["ids"][:G], va["mentioned"][:G]),
                      (va["content_ids"][:G], np.tile([True, True, False, False, False, False], (G, 1)))):
        sims = txt(torch.from_numpy(ids)) @ ie.T
        match = match_matrix(va["attrs"][:G], ment, va["attrs"][:G])
        top = sims.topk(5, dim=1).indices
        out += [match.gather(1, top[:, :1]).any(1).float().mean().item(), match.gather(1, top).any(1).float().mean().item()]
    # look agreement of each image's 8 nearest image neighbours (what a folder's aggregate carries)
    s = ie @ ie.T; s.fill_diagonal_(-2)
    nb = s.topk(8, dim=1).indices
    look = torch.as_tensor(va["attrs"][:G, 2:].astype(np.int64))
    out.append((look[nb] == look[:, None, :]).all(-1).float().mean().item())
    txt.train(); img.train()
    return out


def main():
    args = parse()
    rng = setup(args.threads, args.seed)
    tr = load("pub_train"); va = load("pub_val")
    txt = models.TextEncoder(len(world.VOCAB), world.MAXLEN)
    img = models.ImageEncoder()
    logit_scale = torch.nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))
    if args.init:
        st = torch.load(os.path.join(CK, args.init), weights_only=False)
        txt.load_state_dict(st["txt"]); img.load_state_dict(st["img"]); logit_scale.data.fill_(float(st["logit_scale"]))
    params = list(txt.parameters()) + list(img.parameters()) + [logit_scale]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    print("params text %d image %d" % (models.nparams(txt), models.nparams(img)), flush=True)
    B = 256; N = len(tr["ids"]); t0 = time.time(); step = 0; total = args.minutes * 60
    names = "full top1 %.4f top5 %.4f | content top1 %.4f top5 %.4f | look agreement of 8-NN %.4f"
    while time.time() - t0 < total:
        el = time.time() - t0
        lr = args.lr * min(1, step / (20 if args.init else 200)) * (0.5 * (1 + np.cos(np.pi * min(1.0, el / total))) * 0.95 + 0.05)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = rng.integers(0, N, B)
        ims, bids, bat, bme = hard_batch(tr, idx, int(B * args.hard), rng) if args.hard > 0 else \
            (tr["imgs"][idx], tr["ids"][idx], tr["attrs"][idx], tr["mentioned"][idx])
        x = to32(ims, rng)
        x = x + 0.02 * torch.randn_like(x) * float(rng.random() < 0.5)
        logits = logit_scale.exp().clamp(max=100) * txt(torch.from_numpy(bids)) @ img(x).T
        M = match_matrix(bat, bme, bat).float()
        l_t2i = -(F.log_softmax(logits, 1) * (M / M.sum(1, keepdim=True))).sum(1).mean()
        l_i2t = -(F.log_softmax(logits.T, 1) * (M.T / M.T.sum(1, keepdim=True))).sum(1).mean()
        loss = (l_t2i + l_i2t) / 2
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
        if step % 200 == 0:
            print(("step %d min %.1f loss %.4f scale %.1f " % (step, el / 60, loss.item(), logit_scale.exp().item())) +
                  names % tuple(evaluate(txt, img, va)), flush=True)
            save_atomic({"txt": txt.state_dict(), "img": img.state_dict(), "logit_scale": logit_scale.item()},
                        os.path.join(CK, args.out))
    ev = evaluate(txt, img, va)
    print(("FINAL steps %d minutes %.1f " % (step, (time.time() - t0) / 60)) + names % tuple(ev), flush=True)
    save_atomic({"txt": txt.state_dict(), "img": img.state_dict(), "steps": step, "minutes": (time.time() - t0) / 60,
                 "eval": ev, "logit_scale": logit_scale.item(), "init": args.init, "hard": args.hard},
                os.path.join(CK, args.out))


if __name__ == "__main__":
    main()
