"""Draws the add-in's icons (no image library needed) and writes them as PNG files.

Run ``python tests/addin/make_icons.py`` after changing the drawing; ``test_manifests.py``
checks that the shipped files show exactly what this module draws.

The icon is a rounded square in the Fluent brand blue with a white shield and check mark;
the outline variant (Microsoft 365 unified manifest) is the white outline on transparency.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "src" / "compliance_assistant" / "addin" / "assets"
COLOR_SIZES = (16, 32, 64, 80, 128, 192)
OUTLINE_SIZE = 32
BRAND = (15, 108, 189)
WHITE = (255, 255, 255)
SUPERSAMPLE = 4

Pixel = tuple[int, int, int, int]
Shape = Callable[[float, float], bool]


def _rounded_square(x: float, y: float, radius: float = 0.22) -> bool:
    """Unit square with rounded corners."""
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _shield(x: float, y: float, scale: float = 1.0) -> bool:
    """A shield centred in the unit square; ``scale`` shrinks it about its centre."""
    x = 0.5 + (x - 0.5) / scale
    y = 0.52 + (y - 0.52) / scale
    if not 0.24 <= x <= 0.76 or y < 0.2:
        return False
    if y <= 0.52:
        # Flat top with a slight dip in the middle.
        return y >= 0.2 + 0.04 * (1 - abs(x - 0.5) / 0.26)
    # Lower part narrows to a point at y = 0.86.
    half_width = 0.26 * max(0.0, 1 - ((y - 0.52) / 0.34) ** 1.6)
    return abs(x - 0.5) <= half_width


def _segment_distance(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return float(((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2) ** 0.5)


def _check(x: float, y: float, width: float = 0.055) -> bool:
    corner = (0.47, 0.62)
    return (
        _segment_distance(x, y, (0.37, 0.5), corner) <= width
        or _segment_distance(x, y, corner, (0.64, 0.38)) <= width
    )


def color_icon(x: float, y: float) -> Pixel | None:
    if not _rounded_square(x, y):
        return None
    if _shield(x, y) and not _check(x, y):
        return (*WHITE, 255)
    return (*BRAND, 255)


def outline_icon(x: float, y: float) -> Pixel | None:
    inside_outer = _shield(x, y, 1.35)
    inside_inner = _shield(x, y, 1.08)
    if (inside_outer and not inside_inner) or (_check(x, y, 0.06) and inside_inner):
        return (*WHITE, 255)
    return None


def render(size: int, draw: Callable[[float, float], Pixel | None]) -> list[list[Pixel]]:
    """Anti-aliased pixels: each pixel averages SUPERSAMPLE² samples (premultiplied)."""
    rows: list[list[Pixel]] = []
    samples = SUPERSAMPLE * SUPERSAMPLE
    for py in range(size):
        row: list[Pixel] = []
        for px in range(size):
            r = g = b = a = 0
            for sy in range(SUPERSAMPLE):
                for sx in range(SUPERSAMPLE):
                    x = (px + (sx + 0.5) / SUPERSAMPLE) / size
                    y = (py + (sy + 0.5) / SUPERSAMPLE) / size
                    pixel = draw(x, y)
                    if pixel is not None:
                        r += pixel[0] * pixel[3]
                        g += pixel[1] * pixel[3]
                        b += pixel[2] * pixel[3]
                        a += pixel[3]
            if a == 0:
                row.append((0, 0, 0, 0))
            else:
                row.append((round(r / a), round(g / a), round(b / a), round(a / samples)))
        rows.append(row)
    return rows


def encode_png(rows: list[list[Pixel]]) -> bytes:
    height = len(rows)
    width = len(rows[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def decode_png(data: bytes) -> tuple[int, int, list[list[Pixel]]]:
    """Width, height and pixels of a PNG written by :func:`encode_png` (filter 0, RGBA)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG file")
    position = 8
    width = height = 0
    compressed = b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color_type = struct.unpack(">IIBB", body[:10])
            if (depth, color_type) != (8, 6):
                raise ValueError("only 8-bit RGBA PNGs are supported")
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    raw = zlib.decompress(compressed)
    stride = width * 4 + 1
    rows: list[list[Pixel]] = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        if line[0] != 0:
            raise ValueError("only unfiltered PNG rows are supported")
        rows.append(
            [
                (line[1 + 4 * x], line[2 + 4 * x], line[3 + 4 * x], line[4 + 4 * x])
                for x in range(width)
            ]
        )
    return width, height, rows


def icons() -> dict[str, list[list[Pixel]]]:
    """File name → pixels of every icon the add-in ships."""
    drawn = {f"icon-{size}.png": render(size, color_icon) for size in COLOR_SIZES}
    drawn[f"icon-outline-{OUTLINE_SIZE}.png"] = render(OUTLINE_SIZE, outline_icon)
    return drawn


def main() -> int:
    ASSETS.mkdir(parents=True, exist_ok=True)
    for name, rows in icons().items():
        (ASSETS / name).write_bytes(encode_png(rows))
        print(f"wrote {ASSETS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
