"""RDM-style conditional UNet (epsilon prediction, cosine schedule, 32x32) trained on public renders only.

The condition has two slots, [t ; c]: t is the prompt's text embedding, c is DP-RDM's condition
c = lam * (r + N(0, s^2 I)) + (1 - lam) * t, where r is the mean of the top-k of a Poisson-like subsample of a
retrieval pool, always divided by k (zero padding when the pool holds fewer than k rows), exactly as the studio's
private aggregate. Per example:
  folder (75%): the pool is the public renders that share the target's look (a stand-in for a curator's folder with
                one house look); 70% of these pools also keep only a random subset of shapes and colours (a folder has
                its own content mix, so the neighbours often show other content than the prompt asks: the decoder
                must take the content from the text and the look from the retrieval), subsampled to an expected m ~ logU(48, 3000) rows; the query is the content-only
                caption's text embedding (85%, what inference does) or the target's image embedding (15%, RDM);
                noise s = 0 (15%) or s ~ U(0, sigma_max);
  public (25%): the pool is every public render (all looks), m ~ U(1000, 4000) (the bundled public-only set);
                query = text; s = 0.
  k ~ the planner's range; lam = 1 (50%) or U(0.2, 1); t is the content-only caption (70%) or one that names some
  of the look (30%, so an explicit look word works); classifier-free dropout: both slots zero 10%, t zero 5%,
  c zero 5%. The target itself is never in its pool. Time-bounded; RESUME=1 continues from the checkpoint."""
import os, time, argparse, copy
import numpy as np
import torch
import world, models, diffusion
from common import setup, to32, save_atomic, CK
from make_data import load

KS = [8, 12, 16, 24, 32, 48, 64]


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=100, help="total training minutes (over resumes)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--sigma_max", type=float, default=0.2)
    ap.add_argument("--ckpt_every_min", type=float, default=4)
    ap.add_argument("--encoder", default="encoder.pt")
    ap.add_argument("--out", default="decoder.pt")
    ap.add_argument("--init", default=None, help="start from these committed weights (weights/…: unet and ema; a fresh optimizer)")
    return ap.parse_args()


class ConditionSampler:
    """builds training conditions the way the studio builds them at inference (module docstring)"""

    def __init__(self, IE, TEc, TEf, looks, shapes, colors, sigma_max, gen):
        self.IE, self.TEc, self.TEf, self.looks, self.sigma_max, self.g = IE, TEc, TEf, looks, sigma_max, gen
        self.N = len(IE)
        self.n_shape, self.n_color = len(world.VALUES["shape"]), len(world.VALUES["color"])
        self.content = shapes * self.n_color + colors
        n_look = int(looks.max()) + 1
        self.counts = torch.zeros(n_look, self.n_shape * self.n_color)
        self.counts.index_put_((looks, self.content), torch.ones(self.N), accumulate=True)

    def content_subset(self, B, restricted):
        """[B, shapes*colors] allowed contents: each shape and colour kept with p 0.4 (at least one of each)"""
        def pick(n):
            a = self.rand(B, n) < 0.4
            a[torch.arange(B), torch.randint(n, (B,), generator=self.g)] = True
            return a | ~restricted[:, None]
        return (pick(self.n_shape)[:, :, None] & pick(self.n_color)[:, None, :]).reshape(B, -1)

    def rand(self, *shape):
        return torch.rand(*shape, generator=self.g)

    def __call__(self, idx):
        B = len(idx); N = self.N
        folder = self.rand(B) < 0.75
        img_query = folder & (self.rand(B) < 0.15)
        q = torch.where(img_query[:, None], self.IE[idx], self.TEc[idx])
        m_folder = torch.exp(np.log(48) + self.rand(B) * (np.log(3000) - np.log(48)))
        m_public = 1000 + self.rand(B) * 3000
        allowed = self.content_subset(B, folder & (self.rand(B) < 0.7))
        look_pool = (self.counts[self.looks[idx]] * allowed).sum(1).clamp(min=1.0)
        pool_size = torch.where(folder, look_pool, torch.full((B,), float(N)))
        rate = (torch.where(folder, m_folder, m_public) / pool_size).clamp(max=1.0)
        member = self.rand(B, N) < rate[:, None]
        in_folder = (self.looks[None, :] == self.looks[idx][:, None]) & allowed.gather(1, self.content[None].expand(B, N))
        member &= ~folder[:, None] | in_folder
        member[torch.arange(B), idx] = False
        scores = (q @ self.IE.T).masked_fill(~member, float("-inf"))
        top = scores.topk(max(KS), dim=1)
        k = torch.tensor(KS)[torch.randint(len(KS), (B,), generator=self.g)]
        take = (torch.arange(max(KS))[None, :] < k[:, None]) & torch.isfinite(top.values)
        r = (self.IE[top.indices] * take[..., None]).sum(1) / k[:, None]        # always divide by k
        s = torch.where(folder & (self.rand(B) > 0.15), self.rand(B) * self.sigma_max, torch.zeros(B))
        r = r + s[:, None] * torch.randn(B, r.shape[1], generator=self.g)
        t = torch.where((self.rand(B) < 0.7)[:, None], self.TEc[idx], self.TEf[idx])
        lam = torch.where(self.rand(B) < 0.5, torch.ones(B), 0.2 + 0.8 * self.rand(B))[:, None]
        c = lam * r + (1 - lam) * t
        u = self.rand(B)
        t = torch.where(((u < 0.1) | ((u >= 0.1) & (u < 0.35)))[:, None], torch.zeros_like(t), t)
        c = torch.where(((u < 0.1) | ((u >= 0.35) & (u < 0.4)))[:, None], torch.zeros_like(c), c)
        return torch.cat([t, c], 1)


def look_ids(attrs):
    """one id per look combination (tone, fill, frame, pattern)"""
    a = torch.as_tensor(attrs[:, 2:].astype(np.int64))
    sizes = [len(world.VALUES[k]) for k in world.LOOK_KEYS]
    lid = torch.zeros(len(a), dtype=torch.int64)
    for j, n in enumerate(sizes):
        lid = lid * n + a[:, j]
    return lid


def main():
    args = parse()
    rng = setup(args.threads, args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    tr = load("pub_train")
    N = len(tr["ids"])
    X = torch.cat([to32(tr["imgs"][i:i + 4096]) for i in range(0, N, 4096)])  # [N,3,32,32] in [-1,1]
    enc = torch.load(os.path.join(CK, args.encoder), weights_only=False)
    txt = models.TextEncoder(len(world.VOCAB), world.MAXLEN); txt.load_state_dict(enc["txt"]); txt.eval()
    img = models.ImageEncoder(); img.load_state_dict(enc["img"]); img.eval()
    t0 = time.time()
    with torch.no_grad():
        IE = torch.cat([img(X[i:i + 2048]) for i in range(0, N, 2048)])
        TEc = torch.cat([txt(torch.from_numpy(tr["content_ids"][i:i + 2048])) for i in range(0, N, 2048)])
        TEf = torch.cat([txt(torch.from_numpy(tr["ids"][i:i + 2048])) for i in range(0, N, 2048)])
    attrs = torch.as_tensor(tr["attrs"].astype(np.int64))
    conds = ConditionSampler(IE, TEc, TEf, look_ids(tr["attrs"]), attrs[:, 0], attrs[:, 1], args.sigma_max, gen)
    print("decoder set %d images; embeddings in %.1f s" % (N, time.time() - t0), flush=True)

    unet = models.UNet(**diffusion.UNET_CFG)
    ema = copy.deepcopy(unet).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    print("unet params %d" % models.nparams(unet), flush=True)
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    ac = torch.tensor(diffusion.ALPHAS_CUMPROD, dtype=torch.float32)
    step = 0; prev = 0.0
    ckpath = os.path.join(CK, args.out)
    if args.init:
        w = torch.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), args.init), weights_only=False)
        unet.load_state_dict(w["unet"]); ema.load_state_dict(w["ema"])
        print("initialised from %s (trained %d steps before)" % (args.init, w.get("step", 0)), flush=True)
    if os.path.exists(ckpath) and os.environ.get("RESUME"):
        s = torch.load(ckpath, weights_only=False)
        unet.load_state_dict(s["unet"]); ema.load_state_dict(s["ema"]); opt.load_state_dict(s["opt"])
        step = s["step"]; prev = s["minutes"] * 60
        rng = np.random.default_rng(args.seed + step); gen.manual_seed(args.seed + step)
        print("resumed at step %d (%.1f min)" % (step, prev / 60), flush=True)

    def checkpoint(el):
        save_atomic({"unet": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                     "minutes": (prev + el) / 60, "sigma_max": args.sigma_max, "ks": KS}, ckpath)

    t_start = time.time(); last_ck = t_start; total = args.minutes * 60; run_loss = 0.0; nlog = 0
    while True:
        el = time.time() - t_start
        if prev + el > total:
            break
        frac = min(1.0, (prev + el) / total)
        lr = args.lr * min(1, (step + 1) / 300) * (0.5 * (1 + np.cos(np.pi * frac)) * 0.9 + 0.1)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.from_numpy(rng.integers(0, N, args.batch))
        x0 = X[idx]
        t = torch.randint(0, diffusion.T, (args.batch,), generator=gen)
        a = ac[t][:, None, None, None]
        eps = torch.randn(x0.shape, generator=gen)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        with torch.no_grad():
            cond = conds(idx)
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
            print("step %d min %.1f loss %.4f lr %.2e" % (step, (prev + el) / 60, run_loss / nlog, lr), flush=True)
            run_loss = 0.0; nlog = 0
        if time.time() - last_ck > args.ckpt_every_min * 60:
            last_ck = time.time(); checkpoint(time.time() - t_start)
            print("checkpoint step %d" % step, flush=True)
    checkpoint(time.time() - t_start)
    print("FINAL steps %d minutes %.1f" % (step, (prev + time.time() - t_start) / 60), flush=True)


if __name__ == "__main__":
    main()
