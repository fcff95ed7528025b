"""RDM-style conditional UNet (epsilon prediction, cosine schedule, 32x32) trained on public renders whose
attribute combinations are not held out. Condition (per example):
  10%  zeros (classifier-free guidance)
  else 35% mean of the k nearest OTHER decoder-set images' image embeddings to this image (RDM),
       35% mean of the k nearest OTHER images to this image's caption text embedding (like inference),
       15% the caption's text embedding, 15% a mix lam*noisy_mean + (1-lam)*text, lam~U(0,1)
  neighbour means get Gaussian noise N(0, s^2 I), s ~ U(0, sigma_max)."""
import os, time, argparse, copy
import numpy as np
import torch
import world, models, diffusion
from common import to32
from make_data import load

ap = argparse.ArgumentParser()
ap.add_argument("--minutes", type=float, default=80)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--seed", type=int, default=30)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--lr", type=float, default=5e-4)
ap.add_argument("--k", type=int, default=8)
ap.add_argument("--sigma_max", type=float, default=0.1)
ap.add_argument("--ckpt_every_min", type=float, default=4)
ap.add_argument("--encoder", default="encoder.pt")
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
HERE = os.path.dirname(os.path.abspath(__file__))
CK = os.path.join(HERE, "checkpoints"); os.makedirs(CK, exist_ok=True)

tr = load("pub_train")
keep = ~tr["heldout"]
imgs64 = tr["imgs"][keep]; ids = tr["ids"][keep]
N = len(ids)
X = torch.cat([to32(imgs64[i:i + 4096]) for i in range(0, N, 4096)])  # [N,3,32,32] in [-1,1]
print("decoder set %d images (held-out combos removed)" % N, flush=True)

enc = torch.load(os.path.join(CK, args.encoder), weights_only=False)
txt = models.TextEncoder(len(world.VOCAB), world.MAXLEN); txt.load_state_dict(enc["txt"]); txt.eval()
img = models.ImageEncoder(); img.load_state_dict(enc["img"]); img.eval()
t0 = time.time()
with torch.no_grad():
    IE = torch.cat([img(X[i:i + 2048]) for i in range(0, N, 2048)])
    TE = torch.cat([txt(torch.from_numpy(ids[i:i + 2048])) for i in range(0, N, 2048)])


def knn_mean(Q, E, k):
    out = torch.empty(len(Q), E.shape[1])
    for i in range(0, len(Q), 2048):
        s = Q[i:i + 2048] @ E.T
        s[torch.arange(len(s)), torch.arange(i, i + len(s))] = -1e9  # exclude self
        nb = s.topk(k, dim=1).indices
        out[i:i + len(s)] = E[nb].mean(1)
    return out


with torch.no_grad():
    R_img = knn_mean(IE, IE, args.k)
    R_txt = knn_mean(TE, IE, args.k)
print("embeddings + kNN in %.1f s; |r| img %.3f txt %.3f" % (time.time() - t0, R_img.norm(dim=1).mean(),
      R_txt.norm(dim=1).mean()), flush=True)

unet = models.UNet(**diffusion.UNET_CFG)
ema = copy.deepcopy(unet).eval()
for p in ema.parameters():
    p.requires_grad_(False)
print("unet params %d" % models.nparams(unet), flush=True)
opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
ac = torch.tensor(diffusion.ALPHAS_CUMPROD, dtype=torch.float32)
step = 0; prev_minutes = 0.0
ckpath = os.path.join(CK, "decoder.pt")
if os.path.exists(ckpath) and os.environ.get("RESUME"):
    s = torch.load(ckpath, weights_only=False)
    unet.load_state_dict(s["unet"]); ema.load_state_dict(s["ema"]); opt.load_state_dict(s["opt"])
    step = s["step"]; prev_minutes = s["minutes"]
    print("resumed at step %d" % step, flush=True)


def make_cond(idx):
    B = len(idx)
    s = torch.rand(B, 1) * args.sigma_max
    u = torch.rand(B, 1)
    r = torch.where(u < 0.5, R_img[idx], R_txt[idx]) + s * torch.randn(B, IE.shape[1])
    t = TE[idx]
    lam = torch.rand(B, 1)
    kind = torch.rand(B, 1)
    c = torch.where(kind < 0.7, r, torch.where(kind < 0.85, t, lam * r + (1 - lam) * t))
    drop = torch.rand(B, 1) < 0.1
    return torch.where(drop, torch.zeros_like(c), c)


t_start = time.time(); last_ck = t_start; total = args.minutes * 60; run_loss = 0.0; nlog = 0
while True:
    el = time.time() - t_start
    if el > total:
        break
    frac = min(1.0, el / total)
    lr = args.lr * min(1, (step + 1) / 300) * (0.5 * (1 + np.cos(np.pi * frac)) * 0.9 + 0.1)
    for g in opt.param_groups:
        g["lr"] = lr
    idx = torch.from_numpy(rng.integers(0, N, args.batch))
    x0 = X[idx]
    t = torch.randint(0, diffusion.T, (args.batch,))
    a = ac[t][:, None, None, None]
    eps = torch.randn_like(x0)
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    cond = make_cond(idx)
    snr = ac[t] / (1 - ac[t])
    w = torch.clamp(snr, max=5.0) / snr  # min-SNR-5 weighting for epsilon prediction
    w = w / w.mean()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        pred = unet(xt, t.float(), cond)
    loss = (w * (pred.float() - eps).pow(2).mean((1, 2, 3))).mean()
    opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
    opt.step(); step += 1
    d = min(0.999, (1 + step) / (10 + step))
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), unet.parameters()):
            pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        for be, bm in zip(ema.buffers(), unet.buffers()):
            be.copy_(bm)
    run_loss += loss.item(); nlog += 1
    if step % 100 == 0:
        print("step %d min %.1f loss %.4f lr %.2e %.2f steps/s" % (step, el / 60, run_loss / nlog, lr,
              step / max(1, el) if prev_minutes == 0 else 0), flush=True)
        run_loss = 0.0; nlog = 0
    if time.time() - last_ck > args.ckpt_every_min * 60:
        last_ck = time.time()
        torch.save({"unet": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                    "minutes": prev_minutes + (time.time() - t_start) / 60}, ckpath + ".tmp")
        os.replace(ckpath + ".tmp", ckpath)
        print("checkpoint step %d" % step, flush=True)
torch.save({"unet": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
            "minutes": prev_minutes + (time.time() - t_start) / 60}, ckpath + ".tmp")
os.replace(ckpath + ".tmp", ckpath)
print("FINAL steps %d minutes %.1f" % (step, prev_minutes + (time.time() - t_start) / 60), flush=True)
