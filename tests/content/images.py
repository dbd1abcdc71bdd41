"""Pictures made at test time with Pillow (no binary fixtures): a drawn scene, its edited
copies (resized, recompressed, cropped, mirrored), and an unrelated picture."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw, ImageFilter


def scene() -> Image.Image:
    """A smooth synthetic picture: a gradient sky, a sun, a field, a roof."""
    image = Image.new("RGB", (800, 600))
    draw = ImageDraw.Draw(image)
    for y in range(600):
        draw.line([(0, y), (800, y)], fill=(int(y * 0.4), 90, 200 - int(y * 0.3)))
    draw.ellipse([100, 100, 400, 400], fill=(250, 200, 20))
    draw.rectangle([450, 50, 750, 300], fill=(10, 160, 30))
    draw.polygon([(200, 550), (500, 350), (780, 580)], fill=(220, 20, 40))
    return image.filter(ImageFilter.GaussianBlur(4))


def unrelated() -> Image.Image:
    """Stripes and a disc: nothing like :func:`scene`."""
    image = Image.new("RGB", (640, 480), (30, 30, 30))
    draw = ImageDraw.Draw(image)
    for x in range(0, 640, 40):
        draw.rectangle([x, 0, x + 20, 480], fill=(200, x % 255, 100))
    draw.ellipse([300, 200, 600, 450], fill=(0, 0, 250))
    return image


def flat() -> Image.Image:
    """One colour: a picture with no detail, whose PDQ quality is 0."""
    return Image.new("RGB", (300, 200), (128, 128, 128))


def encode(image: Image.Image, form: str = "PNG", **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=form, **options)
    return out.getvalue()


def crop(image: Image.Image, fraction: float) -> Image.Image:
    """``image`` with ``fraction`` of its width and height cut from each side."""
    w, h = image.size
    dx, dy = int(w * fraction), int(h * fraction)
    return image.crop((dx, dy, w - dx, h - dy))


def cut(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    """``image`` with the given shares of its width and height cut from each side."""
    w, h = image.size
    return image.crop((int(w * left), int(h * top), w - int(w * right), h - int(h * bottom)))


def cropped_copies() -> dict[str, bytes]:
    """Copies of :func:`scene` with 5% of the width and of the height cut, from various sides:
    far from its own PDQ hash, near one of its cropped windows'."""
    original = scene()
    return {
        "cropped-5-centre": encode(cut(original, 0.025, 0.025, 0.025, 0.025)),
        "cropped-5-left": encode(cut(original, 0.05, 0, 0, 0)),
        "cropped-5-corner-jpeg": encode(cut(original, 0, 0.05, 0.05, 0), "JPEG", quality=70),
        "cropped-5-uneven": encode(cut(original, 0.013, 0.037, 0.012, 0.013)),
    }


def edited_copies() -> dict[str, bytes]:
    """The copies of :func:`scene` that must still match it."""
    original = scene()
    return {
        **cropped_copies(),
        "resized": encode(original.resize((400, 300))),
        "jpeg-60": encode(original, "JPEG", quality=60),
        "cropped": encode(crop(original, 0.01)),
        "mirrored": encode(original.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
        "resized-jpeg-mirrored": encode(
            original.resize((600, 450)).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            "JPEG",
            quality=60,
        ),
    }
