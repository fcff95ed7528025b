"""Export the ONNX models, tokenizer, public retrieval set and manifest (+ the demo private folder if absent).
Usage: python export.py [--decoder decoder.pt] [--verify]"""
import os, json, hashlib, argparse
import numpy as np
import torch
import onnxruntime as ort
import world, models, diffusion
from common import setup, to32, CK, ROOT
from make_data import load

# The planner's default k for this set, and the σ range the decoder was trained for (train_decoder.py).
K = 32
SIGMA_MAX = 0.2
GUIDANCE = 3.0
# Separate guidance of the retrieval slot (diffusion.ddim_sample): at g_r 6 the Demo's house look reaches 93 % of
# private images at the planned setting (report/quality.json), 25 % without it (g_r = g = 3).
RETRIEVAL_GUIDANCE = 6.0


def influence_thresholds():
    """the signal-to-noise thresholds quality.py measured (report/quality.json), else none"""
    path = os.path.join(ROOT, "report", "quality.json")
    if not os.path.exists(path):
        return None
    inf = json.load(open(path)).get("influence") or {}
    if inf.get("strong") is None or inf.get("some") is None:
        return None
    return {"strong": inf["strong"], "some": inf["some"]}


def export(model, args, path, inputs, outputs):
    dyn = {n: {0: "batch"} for n in inputs + outputs}
    torch.onnx.export(model.eval(), args, path, input_names=inputs, output_names=outputs, dynamic_axes=dyn,
                      opset_version=17, dynamo=False, do_constant_folding=True)


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


class JudgeOut(torch.nn.Module):
    def __init__(self, j):
        super().__init__(); self.j = j

    def forward(self, pixels):
        return self.j(pixels)


def load_models(decoder_ck):
    enc = torch.load(os.path.join(CK, "encoder.pt"), weights_only=False)
    txt = models.TextEncoder(len(world.VOCAB), world.MAXLEN); txt.load_state_dict(enc["txt"]); txt.eval()
    img = models.ImageEncoder(); img.load_state_dict(enc["img"]); img.eval()
    jd = torch.load(os.path.join(CK, "judge.pt"), weights_only=False)
    judge = models.Judge([len(world.VALUES[k]) for k in world.ATTR_KEYS]); judge.load_state_dict(jd["judge"]); judge.eval()
    dec = torch.load(os.path.join(CK, decoder_ck), weights_only=False)
    unet = models.UNet(**diffusion.UNET_CFG); unet.load_state_dict(dec["ema"]); unet.eval()
    return enc, txt, img, jd, judge, dec, unet


def main(decoder_ck="decoder.pt"):
    setup(1, 0)
    enc, txt, img, jd, judge, dec, unet = load_models(decoder_ck)
    export(txt, (torch.ones(2, world.MAXLEN, dtype=torch.int64),), os.path.join(ROOT, "text_encoder.onnx"), ["input_ids"], ["embedding"])
    export(img, (torch.zeros(2, 3, 32, 32),), os.path.join(ROOT, "image_encoder.onnx"), ["pixels"], ["embedding"])
    export(unet, (torch.zeros(2, 3, 32, 32), torch.tensor([10.0, 500.0]), torch.zeros(2, diffusion.COND_DIM)),
           os.path.join(ROOT, "decoder_unet.onnx"), ["x", "t", "cond"], ["eps"])
    export(JudgeOut(judge), (torch.zeros(2, 3, 32, 32),), os.path.join(ROOT, "judge.onnx"), ["pixels"], list(world.ATTR_KEYS))
    with open(os.path.join(ROOT, "tokenizer.json"), "w") as f:
        json.dump({"type": "word", "vocab": world.VOCAB, "maxLength": world.MAXLEN, "lowercase": True,
                   "split": "[a-z]+ runs of the lowercased text; everything else separates words", "padId": 0, "unkId": 1}, f, indent=1)

    # the public retrieval set, embedded with the exported image encoder through onnxruntime
    so = ort.SessionOptions(); so.intra_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(ROOT, "image_encoder.onnx"), so, providers=["CPUExecutionProvider"])
    pr = load("pub_retrieval")
    E = np.concatenate([sess.run(None, {"pixels": to32(pr["imgs"][i:i + 500]).numpy()})[0] for i in range(0, len(pr["imgs"]), 500)]).astype("<f4")
    E.tofile(os.path.join(ROOT, "public-retrieval.f32"))
    with open(os.path.join(ROOT, "public-retrieval.json"), "w") as f:
        json.dump({"count": int(E.shape[0]), "dim": int(E.shape[1]), "dtype": "float32", "endianness": "little",
                   "layout": "row-major [count, dim], unit-norm image embeddings of public renders (seed 3), every look evenly",
                   "captions": [str(c) for c in pr["content_captions"]],
                   "attributes": [{k: world.VALUES[k][int(v)] for k, v in zip(world.ATTR_KEYS, row)} for row in pr["attrs"]]}, f)
    if not os.path.exists(os.path.join(ROOT, "demo-private")):
        import make_private
        make_private.main()

    files = {"textEncoder": "text_encoder.onnx", "imageEncoder": "image_encoder.onnx", "decoder": "decoder_unet.onnx",
             "judge": "judge.onnx", "tokenizer": "tokenizer.json", "publicRetrieval": "public-retrieval.f32",
             "publicRetrievalIndex": "public-retrieval.json"}
    training = {
        "encoder": {"minutes": round(float(enc.get("minutes", 0)), 1), "steps": int(enc.get("steps", 0)), "seed": 10,
                    "paramsText": models.nparams(txt), "paramsImage": models.nparams(img), "validation": enc.get("eval")},
        "judge": {"minutes": round(float(jd.get("minutes", 0)), 1), "steps": int(jd.get("steps", 0)), "seed": 20,
                  "params": models.nparams(judge), "heldOutAccuracy": jd.get("acc")},
        "decoder": {"minutes": round(float(dec.get("minutes", 0)), 1), "steps": int(dec.get("step", 0)), "seed": 30,
                    "params": models.nparams(unet), "ema": 0.999, "ks": dec.get("ks"), "sigmaMax": dec.get("sigma_max"),
                    "config": {k: list(v) if isinstance(v, tuple) else v for k, v in diffusion.UNET_CFG.items()}},
        "data": {"publicTrainSeed": 1, "publicValSeed": 2, "publicRetrievalSeed": 3, "privateSeed": 4, "houseLook": world.HOUSE_LOOK},
    }
    manifest = {
        "name": "looks-v1", "version": "1.0.0",
        "licence": "MIT (project's own; trained on procedurally generated images)",
        "description": "Embedded default model set: CLIP-style dual encoder, RDM-style 32x32 decoder with a text slot and a "
                       "retrieval slot, and a content + look judge, trained on the procedural looks world by train/make_all.py",
        "files": {k: {"path": v, "sha256": sha(os.path.join(ROOT, v))} for k, v in files.items()},
        "embedding": {"dim": models.D, "normalized": True},
        "image": {"size": 32, "channels": 3, "resize": "cover", "kernel": "lanczos3 (area/bilinear/bicubic also fine: trained with random kernels)",
                  "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "layout": "NCHW", "colorSpace": "sRGB", "pixelScale": "pixel/255, then (v - mean)/std"},
        "tokenizer": {"type": "word", "maxLength": world.MAXLEN, "lowercase": True, "split": "[a-z]+", "padId": 0, "unkId": 1,
                      "truncate": "keep the first maxLength tokens"},
        "examplePrompts": world.EXAMPLE_PROMPTS,
        "decoder": {"imageSize": 32, "channels": 3, "condDim": diffusion.COND_DIM, "prediction": "epsilon", "outputRange": [-1, 1],
                    "uncondCond": "zeros",
                    "condition": {"layout": "text+retrieval", "slots": ["text embedding t", "lambda * noisy aggregate + (1 - lambda) * t"],
                                  "note": "cond = [t ; c], each of embedding.dim values; the unconditional input is all zeros"},
                    "inputs": {"x": "float32 [B,3,32,32]", "t": "float32 [B] integer timestep 0..999", "cond": "float32 [B,condDim]"},
                    "schedule": {"type": "cosine", "s": 0.008, "trainSteps": diffusion.T, "alphasCumprod": [float(v) for v in diffusion.ALPHAS_CUMPROD]},
                    "sampler": {"type": "ddim", "eta": 0, "spacing": "trailing: t_i = round(T - i*T/steps) - 1", "defaultSteps": 25,
                                "defaultGuidance": GUIDANCE, "retrievalGuidance": RETRIEVAL_GUIDANCE, "clipX0": True, "epsFromClippedX0": True, "formula": "see train/README.md and golden/index.json"}},
        "retrieval": {"k": K, "sigmaMax": SIGMA_MAX, "trainedKs": dec.get("ks"), "publicRetrievalCount": int(E.shape[0]), "lambda": 1.0,
                      # the studio warns below this median nearest-public cosine (measured there: demo folder 0.995,
                      # noise and photographs 0.78)
                      "familiarity": {"warnBelow": 0.9},
                      # private stores in float16: top-k agreement with float32 on this set's public embeddings
                      # 99.69 % (k 8) to 99.98 % (k 64), measured with the studio's kernel (README, "Private stores")
                      "storePrecision": "float16",
                      **({"influence": influence_thresholds()} if influence_thresholds() else {})},
        "judge": {"attributes": {k: world.VALUES[k] for k in world.ATTR_KEYS}, "lookAttributes": world.LOOK_KEYS,
                  "houseLook": world.HOUSE_LOOK, "inputRange": [-1, 1], "imageSize": 32},
        "training": training,
    }
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({k: v for k, v in manifest.items() if k != "decoder"}, indent=1)[:2500], flush=True)


def verify(decoder_ck="decoder.pt"):
    """torch (checkpoint) vs onnxruntime (exported) on random inputs"""
    _, txt, img, _, _, _, unet = load_models(decoder_ck)
    s = lambda n: ort.InferenceSession(os.path.join(ROOT, n), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(0)
    ids = torch.tensor([world.tokenize("a red star on a dark dotted background"), world.tokenize("blue circle")] * 3)
    px = torch.randn(5, 3, 32, 32, generator=g).clamp(-1, 1)
    x = torch.randn(3, 3, 32, 32, generator=g); t = torch.tensor([0.0, 400.0, 999.0]); c = torch.randn(3, diffusion.COND_DIM, generator=g) * 0.2
    with torch.no_grad():
        d1 = np.abs(s("text_encoder.onnx").run(None, {"input_ids": ids.numpy()})[0] - txt(ids).numpy()).max()
        d2 = np.abs(s("image_encoder.onnx").run(None, {"pixels": px.numpy()})[0] - img(px).numpy()).max()
        d3 = np.abs(s("decoder_unet.onnx").run(None, {"x": x.numpy(), "t": t.numpy(), "cond": c.numpy()})[0] - unet(x, t, c).numpy()).max()
    print("torch vs onnxruntime max abs diff: text %.2e image %.2e unet %.2e" % (d1, d2, d3), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--decoder", default="decoder.pt")
    ap.add_argument("--verify", action="store_true")
    a = ap.parse_args()
    main(a.decoder)
    if a.verify:
        verify(a.decoder)
