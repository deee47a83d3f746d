"""Write a Compound File (MS-CFB version 3), the container format of ``vbaProject.bin``.

:func:`compound_file` takes the streams as ``{"VBA/dir": b"...", "PROJECT": b"..."}`` and returns
the whole file: a 512-byte header, the FAT, the directory, the mini FAT and the mini stream
(streams under 4,096 bytes live in 64-byte mini sectors), then the large streams, each in its
own chain of 512-byte sectors. The directory of every storage is a red-black tree ordered by
name length, then by upper-case name, as MS-CFB 2.6.4 requires; the tree is built balanced and
coloured so that every path from a storage to a leaf crosses the same number of black nodes.

Only what a VBA project needs is supported: fewer than 109 FAT sectors (about 7 MB), names of
at most 31 characters, no timestamps and no CLSIDs.

>>> import io, olefile
>>> data = compound_file({"PROJECT": b"abc", "VBA/dir": b"x" * 5000})
>>> ole = olefile.OleFileIO(io.BytesIO(data))
>>> sorted("/".join(p) for p in ole.listdir())
['PROJECT', 'VBA/dir']
>>> ole.openstream("VBA/dir").read() == b"x" * 5000
True
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from sop_xl.errors import SopError, show

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
ENTRIES_PER_SECTOR = SECTOR // 128
IDS_PER_SECTOR = SECTOR // 4
HEADER_FAT_SLOTS = 109
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    index: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN


def _tree(streams: dict[str, bytes]) -> _Entry:
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        for part in parts:
            if not 0 < len(part) <= 31 or any(c in part for c in "\\:!"):
                raise SopError(f"stream name must have 1 to 31 characters; got {show(path)}")
        node = root
        for part in parts[:-1]:
            node = node.children.setdefault(part, _Entry(part, STORAGE))
            if node.kind != STORAGE:
                raise SopError(f"stream path crosses a stream; got {show(path)}")
        if parts[-1] in node.children:
            raise SopError(f"stream given twice; got {show(path)}")
        node.children[parts[-1]] = _Entry(parts[-1], STREAM, data=bytes(data))
    return root


def _sort_key(entry: _Entry) -> tuple[int, str]:
    """MS-CFB order: shorter names first, then by upper-case UTF-16 code units."""
    return len(entry.name.encode("utf-16-le")), entry.name.upper()


def _link_siblings(entries: list[_Entry], depth: int, deepest: int) -> int:
    """Make a balanced search tree of sorted ``entries``; return the index of its root.

    Nodes on the deepest level of a tree that is not perfect are red, all others black: every
    path then has the same black height and no red node has a red parent.
    """
    if not entries:
        return NOSTREAM
    middle = len(entries) // 2
    node = entries[middle]
    node.color = RED if depth == deepest and deepest > 0 else BLACK
    node.left = _link_siblings(entries[:middle], depth + 1, deepest)
    node.right = _link_siblings(entries[middle + 1 :], depth + 1, deepest)
    return node.index


def _depth(n: int) -> int:
    """Depth of the deepest node of a median-split tree of ``n`` nodes (root = 0)."""
    return max(n.bit_length() - 1, 0)


def _flatten(root: _Entry) -> list[_Entry]:
    ordered = [root]
    todo = [root]
    while todo:
        node = todo.pop(0)
        for child in sorted(node.children.values(), key=_sort_key):
            child.index = len(ordered)
            ordered.append(child)
            todo.append(child)
    for node in ordered:
        kids = sorted(node.children.values(), key=_sort_key)
        if kids:
            perfect = len(kids) + 1 == 1 << (len(kids) + 1).bit_length() - 1
            deepest = _depth(len(kids)) if not perfect else -1
            node.child = _link_siblings(kids, 0, deepest)
    return ordered


def _sectors(size: int, unit: int) -> int:
    return -(-size // unit)


def _chain(table: list[int], start: int, count: int) -> None:
    for i in range(count):
        table[start + i] = start + i + 1 if i < count - 1 else ENDOFCHAIN


def _entry_bytes(entry: _Entry | None) -> bytes:
    if entry is None:
        unused = struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM)
        return b"\0" * 64 + unused + b"\0" * 48
    name = entry.name.encode("utf-16-le") + b"\0\0"
    size = len(entry.data) if entry.kind != STORAGE else 0
    start = entry.start if entry.kind != STORAGE else 0
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBB", len(name), entry.kind, entry.color)
        + struct.pack("<III", entry.left, entry.right, entry.child)
        + b"\0" * 16  # CLSID
        + b"\0" * 4  # state bits
        + b"\0" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def compound_file(streams: dict[str, bytes]) -> bytes:
    """Return a version-3 compound file holding ``streams`` (paths with ``/`` between storages).

    Streams shorter than 4,096 bytes go to the mini stream, longer ones to the FAT, as readers
    expect from the stream size (MS-CFB 2.6.3).
    """
    entries = _flatten(_tree(streams))
    streams_only = [e for e in entries if e.kind == STREAM]
    small = [e for e in streams_only if len(e.data) < MINI_CUTOFF]
    large = [e for e in streams_only if len(e.data) >= MINI_CUTOFF]

    mini_table: list[int] = []
    mini_data = bytearray()
    for entry in small:
        count = _sectors(len(entry.data), MINI_SECTOR)
        if count == 0:
            entry.start = ENDOFCHAIN
            continue
        entry.start = len(mini_table)
        mini_table.extend([FREESECT] * count)
        _chain(mini_table, entry.start, count)
        mini_data += entry.data.ljust(count * MINI_SECTOR, b"\0")

    n_dir = _sectors(len(entries), ENTRIES_PER_SECTOR)
    n_minifat = _sectors(len(mini_table) * 4, SECTOR)
    n_ministream = _sectors(len(mini_data), SECTOR)
    n_large = sum(_sectors(len(e.data), SECTOR) for e in large)
    body = n_dir + n_minifat + n_ministream + n_large
    n_fat = 1
    while n_fat * IDS_PER_SECTOR < n_fat + body:
        n_fat += 1
    if n_fat > HEADER_FAT_SLOTS:
        raise SopError(f"compound file too large; got {body} sectors of data")

    fat = [FREESECT] * (n_fat * IDS_PER_SECTOR)
    for i in range(n_fat):
        fat[i] = FATSECT
    dir_start = n_fat
    _chain(fat, dir_start, n_dir)
    minifat_start = dir_start + n_dir
    _chain(fat, minifat_start, n_minifat)
    ministream_start = minifat_start + n_minifat
    _chain(fat, ministream_start, n_ministream)
    next_sector = ministream_start + n_ministream
    for entry in large:
        count = _sectors(len(entry.data), SECTOR)
        entry.start = next_sector
        _chain(fat, next_sector, count)
        next_sector += count

    root = entries[0]
    root.data = bytes(mini_data)
    root.start = ministream_start if mini_data else ENDOFCHAIN

    header = (
        SIGNATURE
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIII", 0, n_fat, dir_start, 0)
        + struct.pack("<I", MINI_CUTOFF)
        + struct.pack("<II", minifat_start if n_minifat else ENDOFCHAIN, n_minifat)
        + struct.pack("<II", ENDOFCHAIN, 0)
        + struct.pack(f"<{HEADER_FAT_SLOTS}I", *(list(range(n_fat)) + [FREESECT] * (109 - n_fat)))
    )
    directory = b"".join(_entry_bytes(e) for e in entries)
    directory += _entry_bytes(None) * (n_dir * ENTRIES_PER_SECTOR - len(entries))
    minifat = struct.pack(f"<{len(mini_table)}I", *mini_table)
    minifat += struct.pack("<I", FREESECT) * (n_minifat * IDS_PER_SECTOR - len(mini_table))

    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += directory
    out += minifat
    out += bytes(mini_data).ljust(n_ministream * SECTOR, b"\0")
    for entry in large:
        out += entry.data.ljust(_sectors(len(entry.data), SECTOR) * SECTOR, b"\0")
    return bytes(out)
