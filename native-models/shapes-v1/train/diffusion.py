import math
import numpy as np
import torch

T = 1000
UNET_CFG = dict(ch=(32, 64, 128, 128), nres=(1, 1, 1, 1), attn=(False, False, True, True), emb=128)


def cosine_alphas_cumprod(T=T, s=0.008):
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    betas = np.array([min(1 - f(i + 1) / f(i), 0.999) for i in range(T)], np.float64)
    return np.cumprod(1 - betas)


ALPHAS_CUMPROD = cosine_alphas_cumprod()


def ddim_timesteps(steps, T=T):
    """'trailing' spacing: t_i = round(T - i*T/steps) - 1 for i = 0..steps-1 (descending, starts at T-1)"""
    return [int(round(T - i * T / steps)) - 1 for i in range(steps)]


def ddim_sample(eps_fn, x, cond, steps=25, guidance=3.0, ac=ALPHAS_CUMPROD):
    """Deterministic DDIM (eta=0) with classifier-free guidance.
    eps_fn(x[2B], t[2B] float, cond[2B]) -> eps; first half cond, second half zeros (uncond).
    For each t in ddim_timesteps(steps) with t_prev the next one (or -1 -> alpha_bar_prev = 1):
      e = e_u + g (e_c - e_u)
      x0 = clip((x - sqrt(1-a_t) e) / sqrt(a_t), -1, 1)
      e' = (x - sqrt(a_t) x0) / sqrt(1-a_t)
      x  = sqrt(a_prev) x0 + sqrt(1-a_prev) e'
    The output is x0 of the last step == x, in [-1,1]."""
    ts = ddim_timesteps(steps)
    B = x.shape[0]
    zc = torch.zeros_like(cond)
    for i, t in enumerate(ts):
        tp = ts[i + 1] if i + 1 < len(ts) else -1
        a_t = float(ac[t]); a_p = float(ac[tp]) if tp >= 0 else 1.0
        xx = torch.cat([x, x]); cc = torch.cat([cond, zc])
        tt = torch.full((2 * B,), float(t))
        e = eps_fn(xx, tt, cc)
        e_c, e_u = e[:B], e[B:]
        e = e_u + guidance * (e_c - e_u)
        x0 = ((x - math.sqrt(1 - a_t) * e) / math.sqrt(a_t)).clamp(-1, 1)
        e = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
        x = math.sqrt(a_p) * x0 + math.sqrt(1 - a_p) * e
    return x
