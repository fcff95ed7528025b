"""The model set's quality bars on the demo world (torch, from the checkpoints; the studio's own evaluation runs the
exported ONNX files through the real pipeline). For content-only prompts ("a red star"):
  fidelity         the judge finds the stated shape and colour, public-only and private at the studio's default
  folder influence the judge finds the demo folder's house look (all four look attributes) in private images,
                   against public-only images
Private conditions are built as the studio builds them: a Poisson subsample of the demo folder's embeddings at
the planned q, the exact top-k of the prompt's text embedding, always divided by k, plus N(0, σ² I).
The defaults are the planner's Demo plan (core/ledger/planner.ts: k 64, q 0.128 and σ 0.0315 for 100 generations
in ε 10 at the 2,000–4,999 size class); public-only retrieves the manifest's k from the bundled public set.
A σ sweep measures how the house look fades with noise; the σ where it stays ≥ 70 % / ≥ 40 % gives the
signal-to-noise thresholds 1/(σ·√d) of "strong" / "some" folder influence (manifest retrieval.influence).
Usage: python quality.py [--decoder decoder.pt] [--sigma 0.0315] [--k 64] [--q 0.128] [--per 2] [--out report/]"""
import os, json, argparse, time
import numpy as np
import torch
from PIL import Image
import world, models, diffusion
from common import setup, to32, CK, ROOT


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--decoder", default="decoder.pt")
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--q", type=float, default=0.128)
    ap.add_argument("--sigma", type=float, default=0.0315)
    ap.add_argument("--public_k", type=int, default=32)
    ap.add_argument("--sweep", default="0,0.03,0.05,0.075,0.1,0.15,0.2", help="σ values for the influence thresholds ('' to skip)")
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--per", type=int, default=2, help="images per content combination")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--retrieval_guidance", type=float, default=6.0, help="separate guidance on the retrieval slot")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "report"))
    return ap.parse_args()


def main():
    a = parse()
    setup(a.threads, 1000)
    g = torch.Generator().manual_seed(1000)
    enc = torch.load(os.path.join(CK, "encoder.pt"), weights_only=False)
    txt = models.TextEncoder(len(world.VOCAB), world.MAXLEN); txt.load_state_dict(enc["txt"]); txt.eval()
    img = models.ImageEncoder(); img.load_state_dict(enc["img"]); img.eval()
    judge = models.Judge([len(world.VALUES[k]) for k in world.ATTR_KEYS]); judge.load_state_dict(torch.load(os.path.join(CK, "judge.pt"), weights_only=False)["judge"]); judge.eval()
    dec = torch.load(os.path.join(CK, a.decoder), weights_only=False)
    unet = models.UNet(**diffusion.UNET_CFG); unet.load_state_dict(dec["ema"]); unet.eval()
    from make_data import load
    pub = load("pub_retrieval")
    demo = np.stack([np.asarray(Image.open(os.path.join(ROOT, "demo-private", n)).convert("RGB")) for n in sorted(os.listdir(os.path.join(ROOT, "demo-private")))])
    with torch.no_grad():
        P = img(to32(pub["imgs"]))
        F = torch.cat([img(to32(demo[i:i + 500])) for i in range(0, len(demo), 500)])
    combos = [(s, c) for s in world.SHAPES for c in world.COLORS]
    prompts = [("a %s %s" % (c, s), s, c) for s, c in combos for _ in range(a.per)]
    prompts = [(p.replace("a o", "an o"), s, c) for p, s, c in prompts]
    with torch.no_grad():
        T = txt(torch.tensor([world.tokenize(p) for p, _, _ in prompts]))

    def aggregate(t, E, q, sigma, k):
        member = torch.rand(len(E), generator=g) < q
        s = (E @ t).masked_fill(~member, float("-inf"))
        top = s.topk(min(k, len(E)))
        take = torch.isfinite(top.values)
        r = (E[top.indices] * take[:, None]).sum(0) / k
        return r + sigma * torch.randn(r.shape, generator=g)

    results = {}
    grids = {}
    t0 = time.time()
    sweep = [float(v) for v in a.sweep.split(",") if v.strip()]
    modes = ["public-only", "private"] + ["sigma=%g" % v for v in sweep]
    for mode in modes:
        sigma = a.sigma if mode == "private" else float(mode[6:]) if mode.startswith("sigma=") else 0.0
        conds = []
        for i in range(len(prompts)):
            r = aggregate(T[i], P, 1.0, 0.0, a.public_k) if mode == "public-only" else aggregate(T[i], F, a.q, sigma, a.k)
            conds.append(torch.cat([T[i], a.lam * r + (1 - a.lam) * T[i]]))
        C = torch.stack(conds)
        x = torch.randn(len(C), 3, 32, 32, generator=g)
        with torch.no_grad():
            out = torch.cat([diffusion.ddim_sample(lambda xx, tt, cc: unet(xx, tt, cc), x[i:i + 32], C[i:i + 32], a.steps, a.guidance, retrieval_guidance=a.retrieval_guidance) for i in range(0, len(C), 32)])
            logits = judge(out.clamp(-1, 1))
        pred = {k: l.argmax(1) for k, l in zip(world.ATTR_KEYS, logits)}
        shape_ok = torch.tensor([world.SHAPES.index(s) for _, s, _ in prompts]) == pred["shape"]
        color_ok = torch.tensor([world.COLORS.index(c) for _, _, c in prompts]) == pred["color"]
        house = torch.ones(len(prompts), dtype=torch.bool)
        for k, v in world.HOUSE_LOOK.items():
            house &= pred[k] == world.VALUES[k].index(v)
        results[mode] = {"images": len(prompts), "fidelity": float((shape_ok & color_ok).float().mean()), "shape": float(shape_ok.float().mean()),
                         "color": float(color_ok.float().mean()), "houseLook": float(house.float().mean()),
                         "perLookAttribute": {k: float((pred[k] == world.VALUES[k].index(v)).float().mean()) for k, v in world.HOUSE_LOOK.items()}}
        if mode.startswith("sigma="):
            results[mode]["sigma"] = sigma
            continue
        grids[mode] = ((out.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    os.makedirs(a.out, exist_ok=True)
    influence = None
    if sweep:
        dim = T.shape[1]
        rows = [results["sigma=%g" % v] for v in sweep]
        def threshold(level):
            ok = [r["sigma"] for r in rows if r["houseLook"] >= level and r["sigma"] > 0]
            return None if not ok else round(1.0 / (max(ok) * dim ** 0.5), 3)
        influence = {"strong": threshold(0.7), "some": threshold(0.4),
                     "sweep": [{"sigma": r["sigma"], "houseLook": r["houseLook"], "fidelity": r["fidelity"]} for r in rows]}
        for v in sweep:
            del results["sigma=%g" % v]
    report = {"decoder": {"steps": int(dec.get("step", 0)), "minutes": round(float(dec.get("minutes", 0)), 1)},
              "settings": {"k": a.k, "q": a.q, "sigma": a.sigma, "publicK": a.public_k, "lambda": a.lam, "steps": a.steps, "guidance": a.guidance, "retrievalGuidance": a.retrieval_guidance},
              "results": results, "influence": influence, "seconds": round(time.time() - t0, 1)}
    with open(os.path.join(a.out, "quality.json"), "w") as f:
        json.dump(report, f, indent=1)
    for mode, ims in grids.items():
        n = min(60, len(ims)); cols = 10
        rows = [np.concatenate(list(ims[r * cols:(r + 1) * cols]), 1) for r in range(n // cols)]
        Image.fromarray(np.concatenate(rows, 0)).resize((cols * 96, (n // cols) * 96), Image.NEAREST).save(os.path.join(a.out, "quality-%s.png" % mode))
    print(json.dumps(report, indent=1), flush=True)


if __name__ == "__main__":
    main()
