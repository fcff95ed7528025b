"""The demo private folder: 2,000 PNGs (64x64 RGB) of a fictional archive with one house look (world.HOUSE_LOOK:
dark ground, outlined shapes, gold frame, dotted ground) and its own content mix (mostly stars and crosses, warm
colours), seed 4. Captions name only the content (what everyday prompts say); they go to
../eval/demo-private-captions.json with every attribute, outside the folder."""
import os, json
import numpy as np
from PIL import Image
import world
# The model set folder, without common.py: the world script needs only numpy and pillow (eval:miniature runs it).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

N = 2000
SEED = 4


def main(out=None, n=N, seed=SEED, captions_path=None):
    out = out or os.path.join(ROOT, "demo-private")
    os.makedirs(out, exist_ok=True)
    imgs, attrs, _, _, ccaps = world.make_set(n, seed, "private")
    meta = {}
    for i in range(n):
        name = "img-%05d.png" % (i + 1)
        Image.fromarray(imgs[i]).save(os.path.join(out, name), optimize=n <= N)
        meta[name] = {"caption": ccaps[i], "attributes": attrs[i]}
    captions_path = captions_path or os.path.join(ROOT, "eval", "demo-private-captions.json")
    os.makedirs(os.path.dirname(captions_path), exist_ok=True)
    with open(captions_path, "w") as f:
        json.dump(meta, f, indent=1)
    print("demo-private: %d images in %s, house look %s" % (n, out, world.HOUSE_LOOK), flush=True)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="a house-look private folder (default: the committed demo folder)")
    ap.add_argument("--out", default=None, help="folder to write the PNGs to (default: ../demo-private)")
    ap.add_argument("--n", type=int, default=N)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--captions", default=None, help="where the captions JSON goes (default: ../eval/demo-private-captions.json)")
    a = ap.parse_args()
    main(a.out, a.n, a.seed, a.captions)
