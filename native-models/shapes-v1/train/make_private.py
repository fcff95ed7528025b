"""The demo private folder: ~2,000 PNGs (64x64 RGB) from a SHIFTED distribution (held-out combinations and a
different mix of proportions), seed 4. Captions go to ../eval/demo-private-captions.json, outside the folder."""
import os, json
import numpy as np
from PIL import Image
import world

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
N = 2000


def main():
    out = os.path.join(ROOT, "demo-private"); os.makedirs(out, exist_ok=True)
    os.makedirs(os.path.join(ROOT, "eval"), exist_ok=True)
    imgs, attrs, caps, ments = world.make_set(N, 4, "private", full_caption=True)
    meta = {}
    for i in range(N):
        name = "img-%05d.png" % (i + 1)
        Image.fromarray(imgs[i]).save(os.path.join(out, name), optimize=True)
        meta[name] = {"caption": caps[i], "attributes": attrs[i], "heldOutCombination": bool(world.is_heldout(attrs[i]))}
    with open(os.path.join(ROOT, "eval", "demo-private-captions.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("demo-private: %d images, %.1f%% from held-out combinations" %
          (N, 100 * np.mean([m["heldOutCombination"] for m in meta.values()])))


if __name__ == "__main__":
    main()
