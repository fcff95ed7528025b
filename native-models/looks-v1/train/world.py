"""Procedural 'looks world': captioned images whose *look* everyday prompts leave unsaid. Deterministic by seed.

An image = one shape (content: shape, colour) drawn in a look (tone, fill, frame, pattern).
Prompts usually name the content ("a red star"); the look is what a curator's folder carries and retrieval must
bring: a light or dark ground, filled or outlined shapes, a gold frame or none, a plain, striped or dotted ground.
Public sets cover every content and every look evenly; the demo private folder has one house look and its own
content mix. Rendered at 64x64 RGB (hard edges); the 32x32 version is a 2x2 box (area) downsample.
"""
import re
import numpy as np

SHAPES = ["circle", "square", "triangle", "star", "cross"]
COLORS = ["red", "orange", "yellow", "green", "blue", "purple"]
TONES = ["light", "dark"]
FILLS = ["filled", "outlined"]
FRAMES = ["unframed", "framed"]
PATTERNS = ["plain", "striped", "dotted"]

CONTENT_KEYS = ["shape", "color"]
LOOK_KEYS = ["tone", "fill", "frame", "pattern"]
ATTR_KEYS = CONTENT_KEYS + LOOK_KEYS
VALUES = {"shape": SHAPES, "color": COLORS, "tone": TONES, "fill": FILLS, "frame": FRAMES, "pattern": PATTERNS}

# The demo archive's house look (the 'private domain'): dark ground, outlined shapes, gold frame, dotted ground.
HOUSE_LOOK = {"tone": "dark", "fill": "outlined", "frame": "framed", "pattern": "dotted"}

RGB = {
    "red": (222, 48, 48), "orange": (245, 138, 24), "yellow": (236, 204, 30), "green": (44, 168, 72),
    "blue": (52, 96, 226), "purple": (150, 64, 196),
}
GROUND = {"light": (226, 222, 208), "dark": (36, 38, 48)}
PATTERN_INK = {"light": (186, 180, 160), "dark": (84, 88, 108)}
FRAME_RGB = (198, 158, 62)

R = 64
FRAME_W = 6       # px at 64 (3 px at 32)
OUTLINE_W = 5     # px at 64 (2.5 px at 32)
RADIUS = 17.0

_yy, _xx = np.mgrid[0:R, 0:R].astype(np.float32) + 0.5


def pattern_mask(p):
    if p == "plain":
        return np.zeros((R, R), bool)
    if p == "striped":  # diagonal stripes, period 12 px (6 px at 32)
        return ((_xx + _yy) % 12) < 5
    if p == "dotted":  # dots of radius 3 on a 12 px grid
        return ((_xx % 12 - 6) ** 2 + (_yy % 12 - 6) ** 2) < 9.5
    raise ValueError(p)


_PAT = {p: pattern_mask(p) for p in PATTERNS}
_FRAME = (_xx < FRAME_W) | (_yy < FRAME_W) | (_xx > R - FRAME_W) | (_yy > R - FRAME_W)


def shape_mask(shape, cx, cy, r, rot):
    x0, y0 = _xx - cx, _yy - cy
    c, s = np.cos(rot), np.sin(rot)
    x, y = c * x0 + s * y0, -s * x0 + c * y0
    if shape == "circle":
        return x * x + y * y <= r * r
    if shape == "square":
        q = r * 0.82
        return (np.abs(x) <= q) & (np.abs(y) <= q)
    if shape == "cross":
        w = r * 0.36
        return ((np.abs(x) <= r) & (np.abs(y) <= w)) | ((np.abs(y) <= r) & (np.abs(x) <= w))
    if shape == "triangle":  # upward, base at 0.8 r below the centre
        top, bot = -r, r * 0.8
        inside_y = (y >= top) & (y <= bot)
        half = (y - top) / (bot - top) * r * 1.1
        return inside_y & (np.abs(x) <= half)
    if shape == "star":  # 5-point star via a polar radius function
        ang = np.arctan2(y, x) + np.pi / 2
        rad = np.sqrt(x * x + y * y)
        k = (ang % (2 * np.pi / 5)) / (2 * np.pi / 5)
        tri = np.abs(k - 0.5) * 2
        rr = r * (0.45 + 0.6 * tri)
        return rad <= np.minimum(rr, r * 1.05)
    raise ValueError(shape)


def erode(m, w):
    """binary erosion by a w-step 4-neighbour (diamond) structuring element"""
    m = m.copy()
    for _ in range(w):
        e = m.copy()
        e[1:] &= m[:-1]; e[:-1] &= m[1:]; e[:, 1:] &= m[:, :-1]; e[:, :-1] &= m[:, 1:]
        e[0] = e[-1] = False; e[:, 0] = e[:, -1] = False
        m = e
    return m


def render(a, rng=None, jitter=True):
    """a: dict over ATTR_KEYS. Returns uint8 [64,64,3]."""
    img = np.empty((R, R, 3), np.float32)
    img[:] = GROUND[a["tone"]]
    img[_PAT[a["pattern"]]] = PATTERN_INK[a["tone"]]
    cx = cy = 32.0
    r, rot = RADIUS, 0.0
    if jitter and rng is not None:
        cx += rng.uniform(-4, 4)
        cy += rng.uniform(-4, 4)
        r *= rng.uniform(0.9, 1.1)
        rot = rng.uniform(-0.3, 0.3)
    sm = shape_mask(a["shape"], cx, cy, r, rot)
    if a["fill"] == "outlined":
        sm = sm & ~erode(sm, OUTLINE_W)
    img[sm] = RGB[a["color"]]
    if a["frame"] == "framed":
        img[_FRAME] = FRAME_RGB
    return img.astype(np.uint8)


def down32(img64):
    """2x2 box downsample uint8 [64,64,3] -> float [32,32,3] in 0..255"""
    return img64.reshape(32, 2, 32, 2, 3).astype(np.float32).mean(axis=(1, 3))


def has_house_look(a):
    return all(a[k] == v for k, v in HOUSE_LOOK.items())


# The archive's own content mix: mostly stars and crosses, warm colours.
PRIVATE_SHAPE_P = [0.12, 0.13, 0.15, 0.35, 0.25]
PRIVATE_COLOR_P = [0.22, 0.24, 0.18, 0.06, 0.10, 0.20]


# Prompts the studio suggests: content only, like the evaluation's held-out prompts; the look is the folder's to give.
EXAMPLE_PROMPTS = ["a red star", "an orange cross", "a purple circle", "a yellow triangle", "a blue square", "a green star"]


def sample_attrs(rng, mode="public"):
    """mode 'public': every content and look evenly; 'private': the house look with the archive's content mix."""
    if mode == "private":
        a = dict(shape=SHAPES[rng.choice(5, p=PRIVATE_SHAPE_P)], color=COLORS[rng.choice(6, p=PRIVATE_COLOR_P)])
        a.update(HOUSE_LOOK)
        return a
    return {k: VALUES[k][rng.integers(len(VALUES[k]))] for k in ATTR_KEYS}


CONTENT_TEMPLATES = [
    "a {fill} {color} {shape}", "an image of a {fill} {color} {shape}", "a picture of a {fill} {color} {shape}",
    "a drawing of a {fill} {color} {shape}", "a photo of a {fill} {color} {shape}", "{fill} {color} {shape}",
]
FILL_WORD = {"filled": "solid", "outlined": "outlined"}
FRAME_PHRASE = {"framed": "in a frame", "unframed": "without a frame"}


def caption(a, rng, p_look=0.5):
    """Returns (caption, mentioned): each look attribute is named with probability p_look (0: content only)."""
    m = {k: True for k in CONTENT_KEYS}
    for k in LOOK_KEYS:
        m[k] = bool(rng.random() < p_look)
    t = CONTENT_TEMPLATES[rng.integers(len(CONTENT_TEMPLATES))]
    s = t.format(fill=FILL_WORD[a["fill"]] if m["fill"] else "", color=a["color"], shape=a["shape"])
    ground = " ".join(w for w, use in ((a["tone"], m["tone"]), (a["pattern"], m["pattern"])) if use)
    if ground:
        s += " on a " + ground + " background"
    if m["frame"]:
        s += " " + FRAME_PHRASE[a["frame"]]
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\ban ([^aeiou])", r"a \1", s)
    s = re.sub(r"\ba ([aeiou])", r"an \1", s)
    return s, [k for k in ATTR_KEYS if m[k]]


# ---------------- tokenizer ----------------
MAXLEN = 16
_TEMPLATE_WORDS = set(re.findall(r"[a-z]+", re.sub(r"\{[a-z]+\}", " ", " ".join(CONTENT_TEMPLATES))))
VOCAB_WORDS = sorted(_TEMPLATE_WORDS | set(SHAPES) | set(COLORS) | set(TONES) | set(PATTERNS) |
                     set(FILL_WORD.values()) | {w for p in FRAME_PHRASE.values() for w in p.split()} |
                     {"a", "an", "on", "background"})
VOCAB = {"<pad>": 0, "<unk>": 1}
for w in VOCAB_WORDS:
    VOCAB[w] = len(VOCAB)


def normalize_words(text):
    return re.findall(r"[a-z]+", text.lower())


def tokenize(text):
    ids = [VOCAB.get(w, 1) for w in normalize_words(text)][:MAXLEN]
    return ids + [0] * (MAXLEN - len(ids))


def attr_index(a):
    return [VALUES[k].index(a[k]) for k in ATTR_KEYS]


def make_set(n, seed, mode="public", p_look=0.5):
    """n images with two captions each: `caps` names each look attribute with probability p_look,
    `content_caps` names only the content (what everyday prompts say)."""
    rng = np.random.default_rng(seed)
    attrs, caps, ments, ccaps = [], [], [], []
    imgs = np.empty((n, R, R, 3), np.uint8)
    for i in range(n):
        a = sample_attrs(rng, mode)
        imgs[i] = render(a, rng)
        c, m = caption(a, rng, p_look)
        cc, _ = caption(a, rng, 0.0)
        attrs.append(a); caps.append(c); ments.append(m); ccaps.append(cc)
    return imgs, attrs, caps, ments, ccaps
