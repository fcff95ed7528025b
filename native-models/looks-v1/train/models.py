import math
import torch
import torch.nn as nn
import torch.nn.functional as F

D = 64  # embedding dimension


def l2norm(x):
    return x / torch.sqrt((x * x).sum(-1, keepdim=True) + 1e-12)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, bias):
        B, L, Dm = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(B, L, 3, self.h, Dm // self.h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(Dm // self.h) + bias
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, L, Dm)
        x = x + self.proj(o)
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, vocab, maxlen, d=128, layers=2, heads=4, out=D):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(maxlen, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.out = nn.Linear(d, out)

    def forward(self, ids):
        mask = (ids != 0).float()  # [B, L]
        x = self.tok(ids) + self.pos[None]
        bias = ((1.0 - mask) * -1e4)[:, None, None, :]
        for b in self.blocks:
            x = b(x, bias)
        x = self.ln(x)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return l2norm(self.out(pooled))


def cbr(i, o, s=1):
    return nn.Sequential(nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class ConvTrunk(nn.Module):
    """32x32 -> [128, 4, 4] features"""
    def __init__(self, w=32):
        super().__init__()
        self.net = nn.Sequential(cbr(3, w), cbr(w, w), cbr(w, 2 * w, 2), cbr(2 * w, 2 * w), cbr(2 * w, 4 * w, 2),
                                 cbr(4 * w, 4 * w), cbr(4 * w, 4 * w, 2))

    def forward(self, x):
        return self.net(x)


class ImageEncoder(nn.Module):
    def __init__(self, w=32, out=D):
        super().__init__()
        self.trunk = ConvTrunk(w)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * w * 16, 256), nn.ReLU(inplace=True), nn.Linear(256, out))

    def forward(self, pixels):
        return l2norm(self.head(self.trunk(pixels)))


class Judge(nn.Module):
    """one head per attribute; sizes: list of class counts in world.ATTR_KEYS order"""
    def __init__(self, sizes, w=32):
        super().__init__()
        self.trunk = ConvTrunk(w)
        self.feat = nn.Sequential(nn.Flatten(), nn.Linear(4 * w * 16, 256), nn.ReLU(inplace=True))
        self.heads = nn.ModuleList([nn.Linear(256, n) for n in sizes])

    def forward(self, pixels):
        f = self.feat(self.trunk(pixels))
        return tuple(h(f) for h in self.heads)


# ---------------- UNet ----------------

def gn(c):
    return nn.GroupNorm(8, c)


class ResBlock(nn.Module):
    def __init__(self, i, o, emb):
        super().__init__()
        self.n1 = gn(i)
        self.c1 = nn.Conv2d(i, o, 3, 1, 1)
        self.film = nn.Linear(emb, 2 * o)
        self.n2 = gn(o)
        self.c2 = nn.Conv2d(o, o, 3, 1, 1)
        nn.init.zeros_(self.c2.weight); nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(i, o, 1) if i != o else nn.Identity()

    def forward(self, x, e):
        h = self.c1(F.silu(self.n1(x)))
        s, b = self.film(e)[:, :, None, None].chunk(2, 1)
        h = self.n2(h) * (1 + s) + b
        h = self.c2(F.silu(h))
        return self.skip(x) + h


class Attn(nn.Module):
    def __init__(self, c, heads=4):
        super().__init__()
        self.n = gn(c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.o = nn.Conv2d(c, c, 1)
        self.h = heads
        nn.init.zeros_(self.o.weight); nn.init.zeros_(self.o.bias)

    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.n(x)).reshape(B, 3, self.h, C // self.h, H * W).unbind(1)
        a = (q.transpose(-1, -2) @ k) / math.sqrt(C // self.h)  # B h HW HW
        o = (v @ a.softmax(-1).transpose(-1, -2)).reshape(B, C, H, W)
        return x + self.o(o)


def timestep_embedding(t, dim=128):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class UNet(nn.Module):
    def __init__(self, ch=(64, 128, 192, 256), attn=(False, False, True, True), nres=(1, 2, 2, 2), cond_dim=D, emb=256):
        super().__init__()
        self.temb = nn.Sequential(nn.Linear(128, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.cemb = nn.Sequential(nn.Linear(cond_dim, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.stem = nn.Conv2d(3, ch[0], 3, 1, 1)
        self.down = nn.ModuleList()
        skips = [ch[0]]
        c = ch[0]
        for lvl, co in enumerate(ch):
            for _ in range(nres[lvl]):
                self.down.append(ResBlock(c, co, emb)); c = co; skips.append(c)
                if attn[lvl]:
                    self.down.append(Attn(c))
            if lvl < len(ch) - 1:
                self.down.append(nn.Conv2d(c, c, 3, 2, 1)); skips.append(c)
        self.mid1 = ResBlock(c, c, emb)
        self.mida = Attn(c)
        self.mid2 = ResBlock(c, c, emb)
        self.up = nn.ModuleList()
        for lvl in reversed(range(len(ch))):
            co = ch[lvl]
            for _ in range(nres[lvl] + 1):
                self.up.append(ResBlock(c + skips.pop(), co, emb)); c = co
                if attn[lvl]:
                    self.up.append(Attn(c))
            if lvl > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
                self.up.append(nn.Conv2d(c, c, 3, 1, 1))
        self.out = nn.Sequential(gn(c), nn.SiLU(), nn.Conv2d(c, 3, 3, 1, 1))
        nn.init.zeros_(self.out[-1].weight); nn.init.zeros_(self.out[-1].bias)

    def forward(self, x, t, cond):
        e = self.temb(timestep_embedding(t)) + self.cemb(cond)
        h = self.stem(x)
        hs = [h]
        for m in self.down:
            if isinstance(m, ResBlock):
                h = m(h, e); hs.append(h)
            elif isinstance(m, Attn):
                h = m(h); hs[-1] = h
            else:
                h = m(h); hs.append(h)
        h = self.mid2(self.mida(self.mid1(h, e)), e)
        for m in self.up:
            if isinstance(m, ResBlock):
                h = m(torch.cat([h, hs.pop()], 1), e)
            else:
                h = m(h)
        return self.out(h)


def nparams(m):
    return sum(p.numel() for p in m.parameters())
