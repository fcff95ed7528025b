"""Golden fixtures for the TypeScript runtime, computed with Python onnxruntime from the exported files.
Tensors are raw little-endian float32 (or int64 for token ids) files, described in golden/index.json."""
import os, json, math
import numpy as np
import onnxruntime as ort
from PIL import Image
import world, diffusion

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
G = os.path.join(ROOT, "golden")
PROMPTS = ["an outlined red star on a dark dotted background in a frame",
           "A picture of a solid yellow circle!"]
GUIDANCE = 3.0
STEPS = 10
RETRIEVAL_GUIDANCE = json.load(open(os.path.join(ROOT, "manifest.json")))["decoder"]["sampler"]["retrievalGuidance"]


def sess(name):
    so = ort.SessionOptions(); so.intra_op_num_threads = 1
    return ort.InferenceSession(os.path.join(ROOT, name), so, providers=["CPUExecutionProvider"])


def main():
    os.makedirs(G, exist_ok=True)
    index = {"files": {}, "notes": {}}

    def put(name, arr, desc):
        arr = np.ascontiguousarray(arr)
        dt = "int64" if arr.dtype == np.int64 else "float32"
        arr.astype("<i8" if dt == "int64" else "<f4").tofile(os.path.join(G, name))
        index["files"][name] = {"dtype": dt, "shape": list(arr.shape), "description": desc}

    te, ie, un = sess("text_encoder.onnx"), sess("image_encoder.onnx"), sess("decoder_unet.onnx")
    ids = np.array([world.tokenize(p) for p in PROMPTS], np.int64)
    put("text_input_ids.i64", ids, "token ids of the two prompts (0-padded to maxLength)")
    temb = te.run(None, {"input_ids": ids})[0]
    put("text_embedding.f32", temb, "text_encoder(input_ids)")
    index["prompts"] = PROMPTS
    index["notes"]["tokenizer"] = "lowercase, words = runs of [a-z], unknown -> 1, pad with 0 to maxLength, truncate"

    # two fixed PNGs at exactly 32x32, so that the 'cover' resize is the identity and preprocessing is exact
    pngs = []
    rng = np.random.default_rng(123)
    attrs = [dict(shape="star", color="red", **world.HOUSE_LOOK),
             dict(shape="triangle", color="blue", tone="light", fill="filled", frame="unframed", pattern="striped")]
    for i, a in enumerate(attrs):
        im = np.round(world.down32(world.render(a, rng))).astype(np.uint8)
        name = "image-%d.png" % (i + 1)
        Image.fromarray(im).save(os.path.join(G, name))
        pngs.append(name)
    px = np.stack([np.asarray(Image.open(os.path.join(G, n)).convert("RGB"), np.float32) for n in pngs])
    px = ((px / 255.0 - 0.5) / 0.5).transpose(0, 3, 1, 2).astype(np.float32)
    put("image_pixels.f32", px, "preprocessed pixels of image-1.png, image-2.png: NCHW, (v/255-0.5)/0.5")
    iemb = ie.run(None, {"pixels": px})[0]
    put("image_embedding.f32", iemb, "image_encoder(image_pixels)")
    index["images"] = pngs

    # one UNet call
    r = np.random.default_rng(7)
    x = r.standard_normal((2, 3, 32, 32)).astype(np.float32)
    t = np.array([999.0, 250.0], np.float32)
    cond = np.stack([np.concatenate([temb[0], iemb[0]]), np.zeros(2 * temb.shape[1])]).astype(np.float32)
    put("unet_x.f32", x, "UNet input x"); put("unet_t.f32", t, "UNet input t")
    put("unet_cond.f32", cond, "UNet input cond (row 0 = [text embedding of prompt 0 ; image embedding of image-1], row 1 = zeros)")
    put("unet_eps.f32", un.run(None, {"x": x, "t": t, "cond": cond})[0], "UNet output eps")

    # full 10-step DDIM + CFG, batch of 2 images (cond rows: text emb of prompt 0 and 1)
    x = r.standard_normal((2, 3, 32, 32)).astype(np.float32)
    put("ddim_init_noise.f32", x, "initial x_T (standard normal)")
    # [t ; c] per image: the text slot and a retrieval slot holding the image embedding of image-1 and image-2
    cond = np.concatenate([temb, iemb], 1).astype(np.float32)
    D = temb.shape[1]
    text_only = np.concatenate([temb, np.zeros_like(iemb)], 1).astype(np.float32)
    put("ddim_cond.f32", cond, "conditions [text embedding of prompt b ; image embedding of image-(b+1)]")
    ac = diffusion.ALPHAS_CUMPROD
    ts = diffusion.ddim_timesteps(STEPS)
    traj = []
    x = x.astype(np.float64)
    for i, tt in enumerate(ts):
        tp = ts[i + 1] if i + 1 < len(ts) else -1
        a_t = ac[tt]; a_p = ac[tp] if tp >= 0 else 1.0
        xin = np.concatenate([x, x, x]).astype(np.float32)
        cin = np.concatenate([cond, text_only, np.zeros_like(cond)]).astype(np.float32)
        e = un.run(None, {"x": xin, "t": np.full((6,), float(tt), np.float32), "cond": cin})[0].astype(np.float64)
        e_c, e_t, e_u = e[:2], e[2:4], e[4:]
        e = e_u + GUIDANCE * (e_t - e_u) + RETRIEVAL_GUIDANCE * (e_c - e_t)
        x0 = np.clip((x - math.sqrt(1 - a_t) * e) / math.sqrt(a_t), -1.0, 1.0)
        e = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
        x = math.sqrt(a_p) * x0 + math.sqrt(1 - a_p) * e
        traj.append(x.astype(np.float32))
    put("ddim_trajectory.f32", np.stack(traj), "x after each of the 10 steps [10,2,3,32,32]; the last is the sample")
    put("ddim_sample.f32", traj[-1], "final sample in [-1,1]")
    Image.fromarray(np.concatenate([((np.clip(s, -1, 1).transpose(1, 2, 0) + 1) * 127.5).round().astype(np.uint8)
                                    for s in traj[-1]], 1)).resize((128, 64), Image.NEAREST).save(os.path.join(G, "ddim_sample.png"))
    index["ddim"] = {
        "steps": STEPS, "guidance": GUIDANCE, "retrievalGuidance": RETRIEVAL_GUIDANCE, "textValues": D, "eta": 0, "timesteps": ts,
        "alphasCumprod": "manifest.decoder.schedule.alphasCumprod (float64 in Python; float32 JSON values are exact enough)",
        "formula": ["timesteps: t_i = round(T - i*T/steps) - 1, i = 0..steps-1 (trailing spacing, T = 1000); t_prev of the last step = -1 with alpha_bar(-1) = 1",
                    "one batched UNet call per step: x_in = concat([x, x, x]), t_in = t (as float) for all rows, cond_in = concat([[t ; c], [t ; 0], zeros])",
                    "e = e_u + g * (e_t - e_u) + g_r * (e_c - e_t) with e_c, e_t, e_u = the three thirds (g_r = manifest decoder.sampler.retrievalGuidance)",
                    "x0 = clip((x - sqrt(1 - a_t) * e) / sqrt(a_t), -1, 1)   (x0 IS clipped: alphasCumprod[999] ~ 2.4e-9 would otherwise blow up)",
                    "e' = (x - sqrt(a_t) * x0) / sqrt(1 - a_t)   (epsilon re-derived from the clipped x0)",
                    "x  = sqrt(a_prev) * x0 + sqrt(1 - a_prev) * e'",
                    "the last step has a_prev = 1, so the sample is x0 of the last step, already in [-1,1]; pixel = round((v+1)*127.5)"],
        "precision": "Python keeps x in float64 between steps and feeds float32 to the UNet"}
    with open(os.path.join(G, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    print("golden fixtures written:", sorted(os.listdir(G)))


if __name__ == "__main__":
    main()
