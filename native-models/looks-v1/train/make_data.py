"""Render the cached public splits (cache/*.npz, not committed)."""
import os
import numpy as np
import world
from common import CACHE

SPLITS = {  # name: (n, seed)
    "pub_train": (80000, 1),
    "pub_val": (12000, 2),
    "pub_retrieval": (4000, 3),    # bundled with the model set: the public-only retrieval set
}


def arrays(imgs, attrs, caps, ments, ccaps):
    return dict(imgs=imgs, attrs=np.array([world.attr_index(a) for a in attrs], np.int16),
                mentioned=np.array([[k in m for k in world.ATTR_KEYS] for m in ments], bool),
                ids=np.array([world.tokenize(c) for c in caps], np.int64),
                content_ids=np.array([world.tokenize(c) for c in ccaps], np.int64),
                captions=np.array(caps), content_captions=np.array(ccaps))


def build(name):
    n, seed = SPLITS[name]
    path = os.path.join(CACHE, name + ".npz")
    if os.path.exists(path):
        return
    os.makedirs(CACHE, exist_ok=True)
    np.savez(path + ".tmp.npz", **arrays(*world.make_set(n, seed, "public")))
    os.replace(path + ".tmp.npz", path)
    print(name, n, flush=True)


def load(name):
    build(name)
    z = np.load(os.path.join(CACHE, name + ".npz"))
    return {k: z[k] for k in z.files}


def main():
    for s in SPLITS:
        build(s)


if __name__ == "__main__":
    main()
