import math
import numpy as np
import torch
import models

T = 1000
# The condition is two slots of the embedding dimension: [text embedding ; retrieval condition].
COND_DIM = 2 * models.D
UNET_CFG = dict(ch=(32, 64, 128, 128), nres=(1, 1, 1, 1), attn=(False, False, True, True), emb=128, cond_dim=COND_DIM)


def cosine_alphas_cumprod(T=T, s=0.008):
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    betas = np.array([min(1 - f(i + 1) / f(i), 0.999) for i in range(T)], np.float64)
    return np.cumprod(1 - betas)


ALPHAS_CUMPROD = cosine_alphas_cumprod()


def ddim_timesteps(steps, T=T):
    """'trailing' spacing: t_i = round(T - i*T/steps) - 1 for i = 0..steps-1 (descending, starts at T-1)"""
    return [int(round(T - i * T / steps)) - 1 for i in range(steps)]


def ddim_sample(eps_fn, x, cond, steps=25, guidance=3.0, ac=ALPHAS_CUMPROD, retrieval_guidance=None):
    """Deterministic DDIM (eta=0) with classifier-free guidance against the zero condition, clipped x0
    (see the README's runtime contract). With retrieval_guidance g_r the retrieval slot gets its own guidance
    (two-condition CFG): e = e(0) + g (e([t;0]) - e(0)) + g_r (e([t;c]) - e([t;0]))."""
    ts = ddim_timesteps(steps)
    B = x.shape[0]
    zc = torch.zeros_like(cond)
    tc = torch.cat([cond[:, :cond.shape[1] // 2], zc[:, cond.shape[1] // 2:]], 1)
    for i, t in enumerate(ts):
        tp = ts[i + 1] if i + 1 < len(ts) else -1
        a_t = float(ac[t]); a_p = float(ac[tp]) if tp >= 0 else 1.0
        if retrieval_guidance is None:
            e = eps_fn(torch.cat([x, x]), torch.full((2 * B,), float(t)), torch.cat([cond, zc]))
            e_c, e_u = e[:B], e[B:]
            e = e_u + guidance * (e_c - e_u)
        else:
            e = eps_fn(torch.cat([x, x, x]), torch.full((3 * B,), float(t)), torch.cat([cond, tc, zc]))
            e_c, e_t, e_u = e[:B], e[B:2 * B], e[2 * B:]
            e = e_u + guidance * (e_t - e_u) + retrieval_guidance * (e_c - e_t)
        x0 = ((x - math.sqrt(1 - a_t) * e) / math.sqrt(a_t)).clamp(-1, 1)
        e = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
        x = math.sqrt(a_p) * x0 + math.sqrt(1 - a_p) * e
    return x
