"""Draw the demo catalog's product photos (small flat illustrations) as PNG files, with the standard library only.

    python scripts/make_demo_photos.py [OUTPUT_DIR]     # default: store/seed_data/photos

The pictures are deterministic, so re-running the script reproduces the committed files byte for byte.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

WIDTH, HEIGHT = 320, 240
Color = tuple[int, int, int]
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "store" / "seed_data" / "photos"


class Canvas:
    def __init__(self, background: Color) -> None:
        self.pixels = bytearray(bytes(background) * (WIDTH * HEIGHT))

    def put(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < WIDTH and 0 <= y < HEIGHT:
            i = (y * WIDTH + x) * 3
            self.pixels[i : i + 3] = bytes(color)

    def fill(self, inside: Callable[[float, float], bool], box: tuple[int, int, int, int], color: Color) -> None:
        x0, y0, x1, y1 = box
        for y in range(max(0, y0), min(HEIGHT, y1 + 1)):
            for x in range(max(0, x0), min(WIDTH, x1 + 1)):
                if inside(x + 0.5, y + 0.5):
                    self.put(x, y, color)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, color: Color) -> None:
        self.fill(
            lambda x, y: ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1,
            (int(cx - rx), int(cy - ry), int(cx + rx) + 1, int(cy + ry) + 1),
            color,
        )

    def circle(self, cx: float, cy: float, r: float, color: Color) -> None:
        self.ellipse(cx, cy, r, r, color)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color, radius: int = 0) -> None:
        def inside(x: float, y: float) -> bool:
            dx = max(x0 + radius - x, 0, x - (x1 - radius))
            dy = max(y0 + radius - y, 0, y - (y1 - radius))
            return dx * dx + dy * dy <= radius * radius if radius else True

        self.fill(inside, (x0, y0, x1, y1), color)

    def polygon(self, points: list[tuple[float, float]], color: Color) -> None:
        def inside(x: float, y: float) -> bool:
            hit = False
            j = len(points) - 1
            for i, (xi, yi) in enumerate(points):
                xj, yj = points[j]
                if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                    hit = not hit
                j = i
            return hit

        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        self.fill(inside, (int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1), color)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float, color: Color) -> None:
        length = math.hypot(x1 - x0, y1 - y0) or 1.0

        def inside(x: float, y: float) -> bool:
            t = max(0.0, min(1.0, ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / (length * length)))
            return math.hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0))) <= width / 2

        pad = int(width) + 1
        self.fill(
            inside,
            (int(min(x0, x1)) - pad, int(min(y0, y1)) - pad, int(max(x0, x1)) + pad, int(max(y0, y1)) + pad),
            color,
        )

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[y * WIDTH * 3 : (y + 1) * WIDTH * 3]) for y in range(HEIGHT))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        )


def scene(background: Color) -> Canvas:
    canvas = Canvas(background)
    shade = tuple(max(0, c - 28) for c in background)
    canvas.ellipse(160, 205, 120, 22, shade)  # type: ignore[arg-type]
    return canvas


def apple() -> Canvas:
    c = scene((255, 236, 224))
    c.circle(140, 130, 62, (206, 40, 48))
    c.circle(182, 130, 62, (206, 40, 48))
    c.ellipse(135, 105, 16, 24, (236, 110, 110))
    c.line(160, 78, 168, 48, 7, (110, 70, 40))
    c.ellipse(190, 55, 24, 11, (70, 160, 60))
    return c


def orange() -> Canvas:
    c = scene((255, 246, 220))
    c.circle(160, 130, 72, (245, 140, 20))
    for dx, dy in ((-30, -20), (20, -35), (35, 10), (-10, 25), (-40, 30), (10, 55)):
        c.circle(160 + dx, 130 + dy, 3, (225, 115, 10))
    c.ellipse(180, 58, 22, 10, (60, 150, 60))
    return c


def banana() -> Canvas:
    c = scene((235, 245, 255))
    c.fill(
        lambda x, y: math.hypot(x - 160, y - 40) <= 140 and math.hypot(x - 160, y - 10) > 135 and y > 70,
        (20, 70, 300, 190),
        (250, 215, 50),
    )
    c.rect(52, 92, 66, 104, (110, 90, 40), radius=3)
    c.rect(255, 92, 268, 104, (110, 90, 40), radius=3)
    return c


def grapes() -> Canvas:
    c = scene((238, 250, 232))
    rows = ((0, 4), (1, 3), (2, 2), (3, 1))
    for row, count in rows:
        for i in range(count):
            x = 160 - (count - 1) * 22 + i * 44
            c.circle(x, 90 + row * 36, 21, (110, 50, 140))
            c.circle(x - 7, 83 + row * 36, 5, (160, 110, 190))
    c.line(160, 70, 170, 40, 6, (100, 80, 40))
    c.ellipse(195, 50, 26, 12, (80, 160, 70))
    return c


def tomato() -> Canvas:
    c = scene((255, 240, 235))
    c.ellipse(160, 135, 80, 64, (225, 50, 40))
    for angle in range(0, 360, 72):
        rad = math.radians(angle)
        c.line(160, 75, 160 + 28 * math.cos(rad), 75 + 12 * math.sin(rad), 8, (50, 140, 50))
    c.circle(130, 115, 10, (245, 120, 110))
    return c


def carrot() -> Canvas:
    c = scene((245, 250, 235))
    c.polygon([(100, 90), (150, 70), (250, 190)], (240, 120, 30))
    for dx in (-18, 0, 18):
        c.line(118, 78, 95 + dx, 30, 8, (60, 160, 60))
    for t in (0.35, 0.55, 0.75):
        c.line(125 + t * 110, 82 + t * 100, 140 + t * 100, 70 + t * 105, 3, (210, 95, 20))
    return c


def nuts() -> Canvas:
    c = scene((250, 244, 232))
    c.fill(
        lambda x, y: y >= 130 and ((x - 160) / 110) ** 2 + ((y - 130) / 70) ** 2 <= 1,
        (50, 130, 270, 200),
        (150, 100, 60),
    )
    spots = ((110, 120, 0), (150, 112, 1), (190, 118, 2), (225, 125, 0), (130, 128, 2), (175, 126, 1), (205, 108, 1))
    colors = ((190, 140, 80), (120, 80, 40), (220, 190, 130))
    for x, y, k in spots:
        c.ellipse(x, y, 20, 13, colors[k])
    return c


def mooncake() -> Canvas:
    c = scene((252, 238, 220))
    c.rect(60, 150, 260, 200, (180, 30, 40), radius=8)
    c.circle(160, 115, 66, (205, 140, 60))
    c.circle(160, 115, 50, (225, 165, 80))
    for angle in range(0, 360, 30):
        rad = math.radians(angle)
        c.circle(160 + 58 * math.cos(rad), 115 + 58 * math.sin(rad), 7, (190, 125, 50))
    c.circle(160, 115, 16, (190, 125, 50))
    return c


def tea() -> Canvas:
    c = scene((236, 246, 236))
    c.rect(105, 110, 215, 190, (245, 245, 240), radius=18)
    c.ellipse(160, 112, 55, 14, (120, 170, 80))
    c.fill(lambda x, y: 22 <= math.hypot(x - 222, y - 148) <= 32, (190, 110, 260, 190), (245, 245, 240))
    for x in (135, 160, 185):
        for k in range(5):
            c.circle(x + 6 * math.sin(k * 1.3), 90 - k * 10, 3, (200, 210, 200))
    return c


def water() -> Canvas:
    c = scene((230, 242, 255))
    for x in (95, 160, 225):
        c.rect(x - 24, 80, x + 24, 195, (120, 180, 235), radius=12)
        c.rect(x - 10, 58, x + 10, 82, (90, 150, 210), radius=3)
        c.rect(x - 24, 120, x + 24, 150, (255, 255, 255))
        c.rect(x - 16, 130, x + 16, 140, (60, 120, 200))
    return c


def tissue() -> Canvas:
    c = scene((245, 240, 250))
    c.rect(70, 110, 250, 195, (120, 160, 210), radius=10)
    c.rect(130, 110, 190, 122, (80, 110, 160), radius=4)
    c.polygon([(135, 112), (160, 50), (200, 95), (185, 114)], (255, 255, 255))
    c.line(80, 175, 240, 175, 4, (150, 190, 230))
    return c


def giftcard() -> Canvas:
    c = scene((240, 236, 252))
    c.rect(60, 60, 260, 185, (110, 70, 190), radius=14)
    c.rect(60, 95, 260, 115, (245, 195, 60))
    c.circle(215, 150, 18, (245, 195, 60))
    c.rect(80, 140, 160, 150, (200, 180, 240), radius=4)
    c.rect(80, 158, 135, 166, (200, 180, 240), radius=4)
    return c


PHOTOS: dict[str, Callable[[], Canvas]] = {
    "apple": apple,
    "orange": orange,
    "banana": banana,
    "grapes": grapes,
    "tomato": tomato,
    "carrot": carrot,
    "nuts": nuts,
    "mooncake": mooncake,
    "tea": tea,
    "water": water,
    "tissue": tissue,
    "giftcard": giftcard,
}


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in PHOTOS.items():
        data = draw().png()
        (out / f"{name}.png").write_bytes(data)
        print(f"{name}.png {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
