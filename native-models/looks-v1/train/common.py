"""Shared preamble of the looks-v1 training scripts: paths, threads and seeds, image conversion, caption matching.
Caches and checkpoints live in train/cache and train/checkpoints (git-ignored); DPRDM_TRAIN_WORK moves both."""
import os
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)                      # the model set folder (what the studio loads)
WORK = os.environ.get("DPRDM_TRAIN_WORK", HERE)
CACHE = os.path.join(WORK, "cache")
CK = os.path.join(WORK, "checkpoints")
LOGS = os.path.join(HERE, "logs")                 # committed: how the shipped weights were made
MODES = ["area", "bilinear", "bicubic"]


def setup(threads, seed):
    """one call at the top of every script's main(): explicit thread count (2-core machines) and seeds"""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    for d in (CACHE, CK, LOGS):
        os.makedirs(d, exist_ok=True)
    return np.random.default_rng(seed)


def to32(imgs64_u8, rng=None):
    """uint8 numpy [B,64,64,3] -> float tensor [B,3,32,32] in [-1,1]. rng: random resize kernel per batch."""
    x = torch.from_numpy(np.ascontiguousarray(imgs64_u8)).permute(0, 3, 1, 2).float() / 127.5 - 1
    mode = "area" if rng is None else MODES[rng.integers(3)]
    if mode == "area":
        y = F.avg_pool2d(x, 2)
    else:
        y = F.interpolate(x, size=(32, 32), mode=mode, antialias=True, align_corners=False)
    return y.clamp(-1, 1)


def match_matrix(attrs_q, ment_q, attrs_g):
    """[Q,G] bool: gallery image matches every attribute the caption mentions"""
    aq = torch.as_tensor(attrs_q)[:, None, :]
    ag = torch.as_tensor(attrs_g)[None, :, :]
    m = torch.as_tensor(ment_q)[:, None, :]
    return ((aq == ag) | ~m).all(-1)


def save_atomic(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)
