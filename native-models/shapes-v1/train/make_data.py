"""Render the cached public splits (train/cache/*.npz, not committed)."""
import os, json, sys
import numpy as np
import world

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "cache")
SPLITS = {  # name: (n, seed, mode, full_caption)
    "pub_train": (80000, 1, "public", False),
    "pub_val": (12000, 2, "public", False),
    "pub_retrieval": (4000, 3, "public", False),
    "pub_eval_retrieval": (24000, 5, "public", False),
}


def build(name):
    n, seed, mode, full = SPLITS[name]
    path = os.path.join(CACHE, name + ".npz")
    if os.path.exists(path):
        return
    imgs, attrs, caps, ments = world.make_set(n, seed, mode, full)
    ai = np.array([world.attr_index(a) for a in attrs], np.int16)
    ment = np.array([[k in m for k in world.ATTR_KEYS] for m in ments], bool)
    ids = np.array([world.tokenize(c) for c in caps], np.int64)
    held = np.array([world.is_heldout(a) for a in attrs], bool)
    np.savez(path, imgs=imgs, attrs=ai, mentioned=ment, ids=ids, heldout=held, captions=np.array(caps))
    print(name, n, "heldout frac %.3f" % held.mean(), flush=True)


def load(name):
    build(name)
    z = np.load(os.path.join(CACHE, name + ".npz"))
    return {k: z[k] for k in z.files}


if __name__ == "__main__":
    os.makedirs(CACHE, exist_ok=True)
    for s in SPLITS:
        build(s)
