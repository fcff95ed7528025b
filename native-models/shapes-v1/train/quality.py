"""Quality bar. For >= 200 held-out public prompts: text embedding -> exact top-8 in a held-out public retrieval
set (image embeddings) -> mean r -> r + N(0, sigma^2 I) (lambda = 1) -> 4 images, DDIM 25 + CFG, all through the
exported ONNX files. The judge (never used by generation) reads shape, colour, background and texture."""
import os, json, time, argparse
import numpy as np
import onnxruntime as ort
from PIL import Image
import world, diffusion
from common import to32
from make_data import load

ap = argparse.ArgumentParser()
ap.add_argument("--prompts", type=int, default=200)
ap.add_argument("--per", type=int, default=4)
ap.add_argument("--steps", type=int, default=25)
ap.add_argument("--guidance", type=float, default=5.0)
ap.add_argument("--sigmas", default="0,0.05,0.1")
ap.add_argument("--heldout_prompts", type=int, default=0, help="extra prompts from held-out combinations")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--out", default=None)
ap.add_argument("--k", type=int, default=8)
ap.add_argument("--unet", default="decoder_unet.onnx", help="path relative to the model set (or absolute)")
args = ap.parse_args()
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("MODELSET", os.path.dirname(HERE))
OUT = args.out or os.path.join(ROOT, "report")
os.makedirs(OUT, exist_ok=True)
BARS = {"color": 0.85, "background": 0.85, "texture": 0.90, "shape": 0.65}
NAMES = ["shape", "color", "background", "texture"]


def sess(name):
    so = ort.SessionOptions(); so.intra_op_num_threads = args.threads; so.inter_op_num_threads = 1
    return ort.InferenceSession(os.path.join(ROOT, name), so, providers=["CPUExecutionProvider"])


te, ie, un, jd = sess("text_encoder.onnx"), sess("image_encoder.onnx"), sess(args.unet), sess("judge.onnx")
va = load("pub_val")
ev = load("pub_eval_retrieval")
# held-out public retrieval set: pub_val rows 0..7999 (seed 2) + pub_eval_retrieval (24,000, seed 5) = 32,000
# renders never used in training; prompts come from pub_val rows 8000+
RIMGS = np.concatenate([va["imgs"][:8000], ev["imgs"]])
RATTR = np.concatenate([va["attrs"][:8000], ev["attrs"]])
E = np.concatenate([ie.run(None, {"pixels": to32(RIMGS[i:i + 1000]).numpy()})[0] for i in range(0, len(RIMGS), 1000)])
cand = np.arange(8000, len(va["ids"]))
prompt_rows = [i for i in cand if not va["heldout"][i]][:args.prompts]
held_rows = [i for i in cand if va["heldout"][i]][:args.heldout_prompts]


def run(rows, sigma, seed):
    rng = np.random.default_rng(seed)
    ids = va["ids"][rows]
    T = te.run(None, {"input_ids": ids})[0]
    nb = np.argsort(-(T @ E.T), axis=1, kind="stable")[:, :args.k]
    r = E[nb].mean(1)
    c = (r + sigma * rng.standard_normal(r.shape)).astype(np.float32)
    cond = np.repeat(c, args.per, axis=0)
    x = rng.standard_normal((len(cond), 3, 32, 32)).astype(np.float32)
    out = []
    B = 50
    for i in range(0, len(cond), B):
        xs = x[i:i + B].astype(np.float64); cs = cond[i:i + B]
        ts = diffusion.ddim_timesteps(args.steps); ac = diffusion.ALPHAS_CUMPROD
        for j, t in enumerate(ts):
            tp = ts[j + 1] if j + 1 < len(ts) else -1
            a_t = ac[t]; a_p = ac[tp] if tp >= 0 else 1.0
            n = len(xs)
            e = un.run(None, {"x": np.concatenate([xs, xs]).astype(np.float32),
                              "t": np.full((2 * n,), float(t), np.float32),
                              "cond": np.concatenate([cs, np.zeros_like(cs)])})[0].astype(np.float64)
            e = e[n:] + args.guidance * (e[:n] - e[n:])
            x0 = np.clip((xs - np.sqrt(1 - a_t) * e) / np.sqrt(a_t), -1, 1)
            e = (xs - np.sqrt(a_t) * x0) / np.sqrt(1 - a_t)
            xs = np.sqrt(a_p) * x0 + np.sqrt(1 - a_p) * e
        out.append(np.clip(xs, -1, 1).astype(np.float32))
    imgs = np.concatenate(out)
    logits = jd.run(None, {"pixels": imgs})
    truth = np.repeat(va["attrs"][rows][:, :4], args.per, axis=0)
    acc = {n: float((logits[k].argmax(1) == truth[:, k]).mean()) for k, n in enumerate(NAMES)}
    # retrieval sanity: how often the neighbours themselves carry the prompt's attributes
    nbacc = {n: float((RATTR[nb][:, :, k] == va["attrs"][rows][:, None, k]).mean()) for k, n in enumerate(NAMES)}
    return imgs, acc, nbacc


def grid(imgs, rows, path, ncap=16):
    n = min(ncap, len(rows))
    g = imgs[:n * args.per].reshape(n, args.per, 3, 32, 32)
    g = ((g.transpose(0, 3, 1, 4, 2).reshape(n * 32, args.per * 32, 3) + 1) * 127.5).round().astype(np.uint8)
    # 2 columns of prompts
    half = (n + 1) // 2
    a, b = g[:half * 32], g[half * 32:]
    if b.shape[0] < a.shape[0]:
        b = np.concatenate([b, np.zeros((a.shape[0] - b.shape[0],) + b.shape[1:], np.uint8)])
    sep = np.full((a.shape[0], 8, 3), 255, np.uint8)
    Image.fromarray(np.concatenate([a, sep, b], 1)).resize(((a.shape[1] * 2 + 8) * 3, a.shape[0] * 3),
                                                         Image.NEAREST).save(path)


results = {"prompts": len(prompt_rows), "imagesPerPrompt": args.per, "steps": args.steps, "guidance": args.guidance,
           "k": args.k, "retrievalSet": "32,000 held-out public renders: pub_val rows 0..7999 (seed 2) + pub_eval_retrieval (seed 5)", "lambda": 1.0,
           "bars": BARS, "figures": []}
lines = []
t0 = time.time()
for sigma in [float(s) for s in args.sigmas.split(",")]:
    for label, rows in [("held-out public prompts", prompt_rows), ("held-out combinations (not in decoder training)", held_rows)]:
        if not rows:
            continue
        imgs, acc, nbacc = run(rows, sigma, seed=1000 + int(sigma * 1000) + (7 if "combinations" in label else 0))
        ok = all(acc[k] >= v for k, v in BARS.items())
        tag = "sigma-%g%s" % (sigma, "" if label.startswith("held-out public") else "-heldout-combos")
        gpath = "quality-%s.png" % tag
        grid(imgs, rows, os.path.join(OUT, gpath))
        with open(os.path.join(OUT, "quality-%s-prompts.txt" % tag), "w") as f:
            f.write("grid rows (left column first, then right column); 4 samples per prompt\n")
            f.write("\n".join(str(va["captions"][i]) for i in rows[:16]) + "\n")
        fig = {"sigma": sigma, "set": label, "prompts": len(rows), "images": len(imgs), "judge": acc,
               "neighbourAttributeAgreement": nbacc, "passes": ok if label.startswith("held-out public") else None,
               "grid": gpath}
        results["figures"].append(fig)
        line = "sigma=%-5g %-48s n=%4d  colour %.3f  background %.3f  texture %.3f  shape %.3f  %s" % (
            sigma, label, len(imgs), acc["color"], acc["background"], acc["texture"], acc["shape"],
            ("PASS" if ok else "FAIL") if label.startswith("held-out public") else "(extra)")
        print(line, " [%.0fs]" % (time.time() - t0), flush=True)
        lines.append(line)
results["seconds"] = round(time.time() - t0, 1)
with open(os.path.join(OUT, "quality.json"), "w") as f:
    json.dump(results, f, indent=1)
with open(os.path.join(OUT, "quality.md"), "w") as f:
    f.write("# shapes-v1 decoder quality (train/quality.py)\n\n")
    f.write("Bars at sigma = 0: colour >= 0.85, background >= 0.85, texture >= 0.90, shape >= 0.65 (judge accuracy).\n")
    f.write("Condition: mean of the %d nearest neighbours (exact, by the prompt's text embedding) in a held-out public\n"
            "set of 32,000 renders, plus N(0, sigma^2 I); lambda = 1; DDIM %d steps, eta 0, CFG %.1f against zeros; %d\n"
            "images per prompt.\n\n```\n" % (args.k, args.steps, args.guidance, args.per))
    f.write("\n".join(lines) + "\n```\n")
