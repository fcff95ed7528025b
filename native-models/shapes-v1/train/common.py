import torch
import torch.nn.functional as F
import numpy as np

MODES = ["area", "bilinear", "bicubic"]


def to32(imgs64_u8, rng=None):
    """uint8 numpy [B,64,64,3] -> float tensor [B,3,32,32] in [-1,1]. rng: random resize kernel per batch."""
    x = torch.from_numpy(imgs64_u8).permute(0, 3, 1, 2).float() / 127.5 - 1
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
