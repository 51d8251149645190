"""An arithmetic image captcha for visitors who leave a message without logging in.

The answer lives in the session (as an HMAC, so a cookie-based session would not reveal it),
serves once (checking consumes it, right or wrong) and expires after five minutes. The image is
drawn with Pillow: the question "7 + 5 = ?" with jittered glyphs, noise lines and dots.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

from django.conf import settings
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SESSION_KEY = "news_captcha"
TTL_SECONDS = 5 * 60
WIDTH, HEIGHT = 180, 56

_rng = secrets.SystemRandom()


def _now() -> float:
    return time.time()


def _digest(answer: int | str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"captcha:{answer}".encode(), hashlib.sha256).hexdigest()


def _question() -> tuple[str, int]:
    op = _rng.choice("+-x")
    if op == "+":
        a, b = _rng.randint(1, 20), _rng.randint(1, 20)
        return f"{a} + {b} = ?", a + b
    if op == "-":
        a = _rng.randint(5, 30)
        b = _rng.randint(1, a)
        return f"{a} - {b} = ?", a - b
    a, b = _rng.randint(2, 9), _rng.randint(2, 9)
    return f"{a} x {b} = ?", a * b


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def render(text: str) -> bytes:
    """A PNG of ``text`` with noise."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (248, 246, 240))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        draw.line(
            [(_rng.randint(0, WIDTH), _rng.randint(0, HEIGHT)), (_rng.randint(0, WIDTH), _rng.randint(0, HEIGHT))],
            fill=(_rng.randint(120, 200), _rng.randint(120, 200), _rng.randint(120, 200)),
            width=1,
        )
    x = 8
    for ch in text.replace(" ", ""):
        font = _font(_rng.randint(24, 30))
        glyph = Image.new("RGBA", (30, 40), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (4, 2), ch, font=font, fill=(_rng.randint(0, 90), _rng.randint(0, 90), _rng.randint(60, 140))
        )
        glyph = glyph.rotate(_rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC, expand=False)
        image.paste(glyph, (x, _rng.randint(2, 14)), glyph)
        x += _rng.randint(18, 21)
    for _ in range(220):
        draw.point(
            (_rng.randint(0, WIDTH - 1), _rng.randint(0, HEIGHT - 1)),
            fill=(_rng.randint(0, 255), _rng.randint(0, 255), _rng.randint(0, 255)),
        )
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def issue(request) -> tuple[str, int]:
    """Put a fresh challenge in the session (replacing any previous one); return (question, answer)."""
    question, answer = _question()
    request.session[SESSION_KEY] = {"digest": _digest(answer), "expires": _now() + TTL_SECONDS}
    return question, answer


def new_challenge(request) -> tuple[None, bytes]:
    """A new challenge for this session: (None — the session holds it, no token —, PNG bytes)."""
    question, _answer = issue(request)
    return None, render(question)


def check(request, answer) -> bool:
    """Whether ``answer`` solves the session's challenge. The challenge is consumed either way."""
    stored = request.session.pop(SESSION_KEY, None)
    if not stored or not isinstance(stored, dict):
        return False
    if _now() > float(stored.get("expires", 0)):
        return False
    try:
        value = int(str(answer).strip())
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(stored.get("digest", ""), _digest(value))
