"""Procedural 'shapes world': captioned images, deterministic by seed.

An image = one shape (shape, colour, size, position) on a background (colour, texture).
Rendered at 64x64 RGB (hard edges); the 32x32 version is a 2x2 box (area) downsample.
"""
import re
import numpy as np

SHAPES = ["circle", "square", "triangle", "star", "cross"]
COLORS = ["red", "orange", "yellow", "green", "blue", "purple", "white", "black"]
BACKGROUNDS = COLORS
TEXTURES = ["plain", "striped", "dotted", "checkered"]
SIZES = ["small", "large"]
POSITIONS = ["center", "top left", "top right", "bottom left", "bottom right"]

RGB = {
    "red": (220, 40, 40), "orange": (245, 140, 20), "yellow": (240, 220, 40), "green": (40, 170, 60),
    "blue": (40, 80, 220), "purple": (140, 50, 180), "white": (240, 240, 240), "black": (25, 25, 25),
}
# texture pattern colour = background colour mixed towards white (dark colours) or black (light colours)
LIGHTEN = {"blue", "purple", "black", "red", "green"}

# held out of the DECODER's training data (the "private domain" the public decoder never saw)
HELDOUT_SHAPE_COLOR = {("star", "red"), ("circle", "blue"), ("triangle", "yellow"), ("square", "green"),
                       ("cross", "purple")}
HELDOUT_BG_TEXTURE = {("blue", "checkered"), ("yellow", "striped"), ("green", "dotted"), ("purple", "plain")}

R = 64
POS_XY = {"center": (32, 32), "top left": (20, 20), "top right": (44, 20), "bottom left": (20, 44),
          "bottom right": (44, 44)}
SIZE_R = {"small": 11.0, "large": 16.0}

_yy, _xx = np.mgrid[0:R, 0:R].astype(np.float32) + 0.5


def pattern_color(bg):
    c = np.array(RGB[bg], np.float32)
    if bg in LIGHTEN:
        return c * 0.55 + 255 * 0.45
    return c * 0.6


def texture_mask(tex):
    if tex == "plain":
        return np.zeros((R, R), bool)
    if tex == "striped":  # diagonal stripes, period 12 px (6 px at 32)
        return ((_xx + _yy) % 12) < 6
    if tex == "dotted":  # dots of radius 3 on a 12 px grid
        return ((_xx % 12 - 6) ** 2 + (_yy % 12 - 6) ** 2) < 9.5
    if tex == "checkered":  # 8 px squares (4 px at 32)
        return ((_xx // 8 + _yy // 8) % 2) == 1
    raise ValueError(tex)


_TEX = {t: texture_mask(t) for t in TEXTURES}


def shape_mask(shape, cx, cy, r):
    x, y = _xx - cx, _yy - cy
    if shape == "circle":
        return x * x + y * y <= r * r
    if shape == "square":
        s = r * 0.85
        return (np.abs(x) <= s) & (np.abs(y) <= s)
    if shape == "cross":
        w = r * 0.36
        return ((np.abs(x) <= r) & (np.abs(y) <= w)) | ((np.abs(y) <= r) & (np.abs(x) <= w))
    if shape == "triangle":  # upward equilateral-ish
        top, bot = -r, r * 0.8
        inside_y = (y >= top) & (y <= bot)
        half = (y - top) / (bot - top) * r * 1.05
        return inside_y & (np.abs(x) <= half)
    if shape == "star":  # 5-point star via polar radius function
        ang = np.arctan2(y, x) + np.pi / 2
        rad = np.sqrt(x * x + y * y)
        k = (ang % (2 * np.pi / 5)) / (2 * np.pi / 5)  # 0..1 within a point sector
        tri = np.abs(k - 0.5) * 2  # 1 at the point, 0 between points
        rr = r * (0.45 + 0.6 * tri)
        return rad <= np.minimum(rr, r * 1.05)
    raise ValueError(shape)


def render(a, rng=None, jitter=True):
    """a: dict with shape,color,background,texture,size,position. Returns uint8 [64,64,3]."""
    bg = np.array(RGB[a["background"]], np.float32)
    img = np.empty((R, R, 3), np.float32)
    img[:] = bg
    m = _TEX[a["texture"]]
    img[m] = pattern_color(a["background"])
    cx, cy = POS_XY[a["position"]]
    r = SIZE_R[a["size"]]
    if jitter and rng is not None:
        cx += rng.uniform(-3, 3)
        cy += rng.uniform(-3, 3)
        r *= rng.uniform(0.92, 1.08)
    sm = shape_mask(a["shape"], cx, cy, r)
    img[sm] = np.array(RGB[a["color"]], np.float32)
    return img.astype(np.uint8)


def down32(img64):
    """2x2 box downsample uint8 [64,64,3] -> float [32,32,3] in 0..255"""
    return img64.reshape(32, 2, 32, 2, 3).astype(np.float32).mean(axis=(1, 3))


def is_heldout(a):
    return (a["shape"], a["color"]) in HELDOUT_SHAPE_COLOR or (a["background"], a["texture"]) in HELDOUT_BG_TEXTURE


def sample_attrs(rng, mode="public", p=None):
    """mode: 'public' (uniform over all combos), 'decoder' (public minus held-out combos),
    'heldout' (only combos with a held-out pair), 'private' (shifted mix)."""
    while True:
        if mode == "private":
            # shifted proportions: more dotted/checkered, more large, more purple/orange shapes
            a = dict(shape=SHAPES[rng.choice(5, p=[0.15, 0.15, 0.2, 0.3, 0.2])],
                     color=COLORS[rng.choice(8, p=[0.18, 0.14, 0.1, 0.1, 0.14, 0.2, 0.07, 0.07])],
                     background=BACKGROUNDS[rng.choice(8, p=[0.08, 0.08, 0.14, 0.14, 0.18, 0.14, 0.12, 0.12])],
                     texture=TEXTURES[rng.choice(4, p=[0.15, 0.2, 0.35, 0.3])],
                     size=SIZES[rng.choice(2, p=[0.3, 0.7])],
                     position=POSITIONS[rng.integers(5)])
        else:
            a = dict(shape=SHAPES[rng.integers(5)], color=COLORS[rng.integers(8)],
                     background=BACKGROUNDS[rng.integers(8)], texture=TEXTURES[rng.integers(4)],
                     size=SIZES[rng.integers(2)], position=POSITIONS[rng.integers(5)])
        if a["color"] == a["background"]:
            continue
        h = is_heldout(a)
        if mode == "decoder" and h:
            continue
        if mode == "heldout" and not h:
            continue
        if mode == "private" and not h and rng.random() < 0.75:
            continue  # about 60% of the private folder comes from held-out combinations
        return a


TEMPLATES = [
    "a {size} {color} {shape} on a {texture} {bg} background {pos}",
    "an image of a {size} {color} {shape} on a {bg} {texture} background {pos}",
    "a {color} {shape} {pos} on a {texture} {bg} background",
    "{size} {color} {shape}, {bg} {texture} background, {pos}",
    "a picture of a {size} {color} {shape} {pos} over a {texture} {bg} background",
    "a photo of a {color} {shape} against a {texture} {bg} background",
    "{texture} {bg} background with a {size} {color} {shape} {pos}",
]


def caption(a, rng, full=False):
    """Returns (caption, mentioned) where mentioned lists attribute keys named in the caption."""
    t = TEMPLATES[rng.integers(len(TEMPLATES))]
    use_size = full or rng.random() < 0.7
    use_pos = full or rng.random() < 0.7
    pos = "in the " + a["position"]
    s = t.format(size=a["size"] if use_size else "", color=a["color"], shape=a["shape"], texture=a["texture"],
                 bg=a["background"], pos=pos if use_pos else "")
    if "{pos}" not in t:
        use_pos = False
    if "{size}" not in t:
        use_size = False
    s = re.sub(r"\s+", " ", s).strip().strip(",").strip()
    s = re.sub(r"\s+,", ",", s).replace(",,", ",")
    s = re.sub(r"\ban ([^aeiou])", r"a \1", s)
    s = re.sub(r"\ba ([aeiou])", r"an \1", s)
    mentioned = ["shape", "color", "background", "texture"] + (["size"] if use_size else []) + \
        (["position"] if use_pos else [])
    return s, mentioned


# ---------------- tokenizer ----------------
MAXLEN = 24
_TEMPLATE_WORDS = set(re.findall(r"[a-z]+", re.sub(r"\{[a-z]+\}", " ", " ".join(TEMPLATES))))
VOCAB_WORDS = sorted(_TEMPLATE_WORDS | set(COLORS) | set(SHAPES) | set(TEXTURES) | set(SIZES) |
                     set(w for p in POSITIONS for w in p.split()) | {"a", "an", "in", "the"})
VOCAB = {"<pad>": 0, "<unk>": 1}
for w in VOCAB_WORDS:
    VOCAB[w] = len(VOCAB)


def normalize_words(text):
    return re.findall(r"[a-z]+", text.lower())


def tokenize(text):
    ids = [VOCAB.get(w, 1) for w in normalize_words(text)][:MAXLEN]
    return ids + [0] * (MAXLEN - len(ids))


def make_set(n, seed, mode="public", full_caption=False):
    rng = np.random.default_rng(seed)
    attrs, caps, ments = [], [], []
    imgs = np.empty((n, R, R, 3), np.uint8)
    for i in range(n):
        a = sample_attrs(rng, mode)
        imgs[i] = render(a, rng)
        c, m = caption(a, rng, full_caption)
        attrs.append(a); caps.append(c); ments.append(m)
    return imgs, attrs, caps, ments


def attr_index(a):
    return [SHAPES.index(a["shape"]), COLORS.index(a["color"]), BACKGROUNDS.index(a["background"]),
            TEXTURES.index(a["texture"]), SIZES.index(a["size"]), POSITIONS.index(a["position"])]


ATTR_KEYS = ["shape", "color", "background", "texture", "size", "position"]
