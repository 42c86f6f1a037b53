"""Stored files: ids that work later, image sniffing (Telegram refuses non-images as photos)."""

from __future__ import annotations

import mimetypes
import secrets
import struct
import zlib
from dataclasses import dataclass, field

from bot.emulator.state import FileRecord


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(mime, width, height) for PNG, JPEG, GIF and WebP; None when the bytes are not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "image/gif", width, height
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp", 512, 512
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return "image/jpeg", width, height
        i += 2 + length
    return "image/jpeg", 1, 1


def placeholder_png(width: int = 64, height: int = 64) -> bytes:
    """A valid grey PNG, used for photos sent by URL to hosts the emulator must not contact."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + b"\x99" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@dataclass
class FileStore:
    by_id: dict[str, FileRecord] = field(default_factory=dict)
    by_path: dict[str, FileRecord] = field(default_factory=dict)
    photo_sets: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # any size's id -> all sizes
    counter: int = 0

    def add(
        self,
        data: bytes,
        kind: str,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> FileRecord:
        self.counter += 1
        ext = _extension(kind, mime_type, file_name)
        folder = {"photo": "photos", "document": "documents", "sticker": "stickers", "voice": "voice"}.get(
            kind, "documents"
        )
        record = FileRecord(
            file_id=f"{kind[:2].upper()}{self.counter:04d}{secrets.token_urlsafe(18)}",
            file_unique_id=f"U{self.counter:04d}{secrets.token_hex(4)}",
            data=data,
            file_path=f"{folder}/file_{self.counter}{ext}",
            kind=kind,
            mime_type=mime_type or "application/octet-stream",
            file_name=file_name,
            width=width,
            height=height,
        )
        self.by_id[record.file_id] = record
        self.by_path[record.file_path] = record
        return record

    def alias(self, record: FileRecord, width: int, height: int) -> FileRecord:
        """Another PhotoSize of the same picture: its own file_id, same bytes."""
        copy = self.add(
            record.data, record.kind, mime_type=record.mime_type, file_name=record.file_name, width=width, height=height
        )
        return copy

    def get(self, file_id: str) -> FileRecord | None:
        return self.by_id.get(file_id)

    def clear(self) -> None:
        self.by_id.clear()
        self.by_path.clear()
        self.photo_sets.clear()


def _extension(kind: str, mime_type: str | None, file_name: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1][:8]
    if mime_type:
        guessed = mimetypes.guess_extension(mime_type)
        if guessed:
            return ".jpg" if guessed == ".jpe" else guessed
    return {"photo": ".jpg", "sticker": ".webp", "voice": ".oga"}.get(kind, "")
