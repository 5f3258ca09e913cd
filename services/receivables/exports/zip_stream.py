"""A ZIP archive written front to back, for a download that starts before its content is known (an XLSX is a ZIP).

Each entry is deflated as it is written; its local header carries the data-descriptor flag (bit 3), so its CRC and
sizes follow the data instead of preceding it, and the central directory closes the archive. No ZIP64: an entry or
an archive past 4 GiB is refused (``ZipTooLarge``) rather than written in a form spreadsheet programs disagree on;
an XLSX that size would hold far more than the 1,048,576 rows a sheet can show anyway.
"""

import struct
import zlib
from dataclasses import dataclass

ZIP32_LIMIT = 0xFFFFFFFF  # sizes and offsets are 4-byte fields without ZIP64
_MAX_ENTRIES = 0xFFFF
_VERSION = 20  # 2.0: deflate and data descriptors
_FLAGS = 0x0008  # bit 3: CRC and sizes in the data descriptor after the data
_DEFLATED = 8
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00, the earliest DOS date: the same bytes each time


class ZipTooLarge(Exception):
    """The archive would need ZIP64 (an entry or offset past 4 GiB, or more than 65,535 entries)."""


@dataclass
class _Entry:
    name: bytes
    offset: int
    crc: int = 0
    size: int = 0
    compressed: int = 0


class ZipStream:
    """The archive's bytes, handed back by each call in order: ``start`` an entry, ``write`` to it (any number of
    times), ``finish`` it, then ``close`` the archive. ``limit`` is ZIP32's, lower only in tests."""

    def __init__(self, limit: int = ZIP32_LIMIT) -> None:
        self.limit = limit
        self.offset = 0  # bytes handed back so far
        self.entries: list[_Entry] = []
        self._entry: _Entry | None = None
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)

    def _out(self, data: bytes) -> bytes:
        self.offset += len(data)
        return data

    def _check(self, what: str, value: int) -> None:
        if value > self.limit:
            raise ZipTooLarge(f"{what} passes {self.limit:,} bytes, the most a ZIP without ZIP64 holds")

    def start(self, name: str) -> bytes:
        if self._entry is not None:
            raise RuntimeError(f"{self._entry.name.decode()} is not finished")
        if len(self.entries) == _MAX_ENTRIES:
            raise ZipTooLarge(f"more than {_MAX_ENTRIES:,} entries need ZIP64")
        self._check("the archive", self.offset)
        encoded = name.encode()
        self._entry = _Entry(encoded, self.offset)
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as ZIP stores it
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, _VERSION, _FLAGS, _DEFLATED, _DOS_TIME, _DOS_DATE, 0, 0, 0, len(encoded), 0
        )
        return self._out(header + encoded)

    def write(self, data: bytes, flush: bool = False) -> bytes:
        """``data`` deflated: what the compressor lets out so far, or, with ``flush``, everything written up to
        here (a sync flush: the reader can inflate it all, at the cost of a few bytes)."""
        entry = self._entry
        if entry is None:
            raise RuntimeError("no entry is started")
        entry.size += len(data)
        self._check(f"{entry.name.decode()} uncompressed", entry.size)
        entry.crc = zlib.crc32(data, entry.crc)
        out = self._deflate.compress(data)
        if flush:
            out += self._deflate.flush(zlib.Z_SYNC_FLUSH)
        return self._compressed(entry, out)

    def _compressed(self, entry: _Entry, out: bytes) -> bytes:
        entry.compressed += len(out)
        self._check(f"{entry.name.decode()} compressed", entry.compressed)
        return self._out(out)

    def finish(self) -> bytes:
        """The rest of the entry's deflated data, then its data descriptor."""
        entry = self._entry
        if entry is None:
            raise RuntimeError("no entry is started")
        out = self._compressed(entry, self._deflate.flush(zlib.Z_FINISH))
        self.entries.append(entry)
        self._entry = None
        descriptor = struct.pack("<IIII", 0x08074B50, entry.crc, entry.compressed, entry.size)
        return out + self._out(descriptor)

    def add(self, name: str, data: bytes) -> bytes:
        """A whole small entry at once."""
        return self.start(name) + self.write(data) + self.finish()

    def close(self) -> bytes:
        """The central directory (every entry's header, where it starts) and its end record."""
        if self._entry is not None:
            raise RuntimeError(f"{self._entry.name.decode()} is not finished")
        start = self.offset
        self._check("the central directory's offset", start)
        directory = b"".join(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                _VERSION,  # made by: MS-DOS attributes, version 2.0
                _VERSION,
                _FLAGS,
                _DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                e.crc,
                e.compressed,
                e.size,
                len(e.name),
                0,  # extra field
                0,  # comment
                0,  # disk
                0,  # internal attributes
                0,  # external attributes
                e.offset,
            )
            + e.name
            for e in self.entries
        )
        self._check("the central directory", len(directory))
        count = len(self.entries)
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0)
        return self._out(directory) + self._out(end)
