"""Write ``vbaProject.bin`` from VBA source text, without Excel (MS-OVBA).

A VBA project is a compound file (:mod:`sop_xl.compound_file`) holding:

- ``VBA/<module>``: per module, its source compressed with the MS-OVBA algorithm (2.4.1), and
  no compiled p-code (no PerformanceCache; ``MODULEOFFSET`` is 0);
- ``VBA/dir``: the compressed project information, references and module records (2.3.4.2);
- ``VBA/_VBA_PROJECT``: seven bytes whose version 0xFFFF says "no compiled code" (2.3.4.1: the
  version "MUST be 0xFFFF on write", the performance cache "MUST NOT be present on write"), so
  Office compiles the project from source on load;
- ``PROJECT``: the text properties (2.3.1): modules, name, and the encrypted protection, password
  and visibility values (2.4.3), here "unprotected, no password, visible";
- ``PROJECTwm``: every module name in the code page and in UTF-16 (2.3.3), as Excel writes it.

The project references OLE Automation (stdole) and the Microsoft Office Object Library (for
``IRibbonControl``), the two references Excel writes into a new project; Excel's own libraries
(VBA, Excel) are the host's and are never listed, as in Excel's and xlwings' own files.

>>> hello = VbaModule.from_source('Attribute VB_Name = "Hi"\\nSub A()\\nEnd Sub')
>>> project = vba_project_bin([hello])
>>> project[:8].hex()
'd0cf11e0a1b11ae1'
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sop_xl.compound_file import compound_file
from sop_xl.errors import SopError, show

CODEPAGE = 1252
ENCODING = "cp1252"
LCID = 0x0409
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
STDOLE_LIBID = (
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
    r"C:\Windows\System32\stdole2.tlb#OLE Automation"
)
OFFICE_LIBID = (
    r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#"
    "Microsoft Office 16.0 Object Library"
)
HOST_EXTENDERS = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
KINDS = ("module", "class", "document")
# Reserved1 0x61CC, Version 0xFFFF (no compiled code), Reserved2 0x00, Reserved3 0x0001, no
# PerformanceCache: the bytes of MS-OVBA's example 3.1.1 and of xlwings' own shipped add-ins
VBA_PROJECT_STREAM = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)
UNPROTECTED = bytes(4)  # ProjectProtectionState: no user, host or VBE protection
NO_PASSWORD = bytes(1)  # ProjectPassword: none
VISIBLE = bytes([0xFF])  # ProjectVisibilityState: the project can be viewed
_NAME = re.compile(r'^Attribute VB_Name = "([A-Za-z][A-Za-z0-9_]{0,30})"\s*$', re.MULTILINE)


# --- MS-OVBA 2.4.1: compression ------------------------------------------------------------


def _copy_token_layout(offset_in_chunk: int) -> tuple[int, int]:
    """Bit count of the offset and maximum length of a copy token at this chunk position."""
    bit_count = max((offset_in_chunk - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    pos, candidates = 0, {}
    while pos < len(chunk):
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= len(chunk):
                break
            bit_count, max_length = _copy_token_layout(pos) if pos else (4, 0)
            best_length, best_offset = 0, 0
            for start in reversed(candidates.get(chunk[pos : pos + 3], [])[-64:]):
                length = 0
                limit = min(max_length, len(chunk) - pos)
                while length < limit and chunk[start + length] == chunk[pos + length]:
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, pos - start
                    if length == limit:
                        break
            step = best_length if best_length >= 3 else 1
            if best_length >= 3:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
            else:
                out.append(chunk[pos])
            for p in range(pos, pos + step):
                candidates.setdefault(chunk[p : p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer (2.4.1.1).

    Each 4,096-byte chunk is either LZ77-compressed (copy tokens whose offset/length split
    depends on the position in the chunk) or, when that would not be smaller, stored raw.

    The example of MS-OVBA 3.2.1 (no match, so only literals, a flag byte before each 8):

    >>> compress(b"abcdefghijklmnopqrstuv.").hex(" ")
    '01 19 b0 00 61 62 63 64 65 66 67 68 00 69 6a 6b 6c 6d 6e 6f 70 00 71 72 73 74 75 76 2e'

    Three literals, then one copy token (offset 3, length 9, 4 offset bits at position 3):

    >>> compress(b"abcabcabcabc").hex(" ")
    '01 05 b0 08 61 62 63 06 20'
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start : start + 4096]
        packed = _compress_chunk(chunk)
        if len(packed) <= 4096:
            out += struct.pack("<H", 0xB000 | (len(packed) + 2 - 3)) + packed
        elif len(chunk) == 4096:
            out += struct.pack("<H", 0x3000 | (4096 + 2 - 3)) + chunk
        else:
            raise SopError(f"VBA source cannot be compressed; got {len(chunk)} random bytes")
    return bytes(out)


# --- MS-OVBA 2.4.3: data encryption of the PROJECT stream values ---------------------------


def encrypt(data: bytes, project_id: str, seed: int) -> str:
    """Encrypt ``data`` for the ``CMG``, ``DPB`` or ``GC`` property (2.4.3.2); hex text.

    Each byte is XOR-ed with the sum of the previous plain byte and the encrypted byte before
    the previous one; the key is the byte sum of the project ID text. Office picks ``seed``
    at random; any byte is valid, and a fixed one keeps builds reproducible.
    """
    version, key = 2, sum(project_id.encode(ENCODING)) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ key])
    unencrypted_1, encrypted_1, encrypted_2 = key, seed ^ key, seed ^ version
    ignored = bytes((seed * 7 + i) & 0xFF for i in range((seed & 6) // 2))
    for plain in ignored + struct.pack("<I", len(data)) + data:
        byte = plain ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte, plain
    return out.hex().upper()


def decrypt(text: str) -> bytes:
    """Decrypt a ``CMG``/``DPB``/``GC`` value (2.4.3.3): the data, without length or padding.

    >>> decrypt(encrypt(b"\\xff", "{00000000-0000-0000-0000-000000000000}", seed=7))
    b'\\xff'
    """
    raw = bytes.fromhex(text)
    seed = raw[0]
    key = seed ^ raw[2]
    unencrypted_1, encrypted_1, encrypted_2 = key, raw[2], raw[1]  # ProjKeyEnc, VersionEnc
    plain = bytearray()
    for byte in raw[3:]:
        value = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(value)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte, value
    skip = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, skip)
    return bytes(plain[skip + 4 : skip + 4 + length])


# --- modules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VbaModule:
    """One VBA module: its name, kind (``module``, ``class`` or ``document``) and source.

    ``code`` is the text VBA stores: attribute lines first (``Attribute VB_Name = ...``), lines
    separated by CRLF.
    """

    name: str
    kind: str
    code: str

    @classmethod
    def from_source(cls, text: str, kind: str | None = None) -> VbaModule:
        """Read an exported ``.bas`` or ``.cls`` file (the kind follows its header).

        A class file's ``VERSION 1.0 CLASS ... END`` header is dropped and the attributes are
        put in the order and form Excel stores them (with ``VB_Base``).
        """
        match = _NAME.search(text)
        if match is None:
            raise SopError(
                f'VBA source must contain a line Attribute VB_Name = "Name"; got {show(text[:60])}'
            )
        kind = kind or ("class" if text.lstrip().startswith("VERSION 1.0 CLASS") else "module")
        if kind not in KINDS:
            raise SopError(f"kind must be one of {', '.join(KINDS)}; got {show(kind)}")
        lines = text[match.start() :].replace("\r\n", "\n").split("\n")
        if kind == "class":
            lines = _class_attributes(lines)
        while lines and not lines[-1].strip():
            lines.pop()
        return cls(match.group(1), kind, "\r\n".join(lines) + "\r\n")

    @classmethod
    def document(cls, name: str, base: str = WORKSHEET_BASE) -> VbaModule:
        """An empty document module (``ThisWorkbook``: ``WORKBOOK_BASE``; a sheet: default)."""
        attrs = [
            f'Attribute VB_Name = "{name}"',
            f'Attribute VB_Base = "{base}"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = True",
            "Attribute VB_Exposed = True",
            "Attribute VB_TemplateDerived = False",
            "Attribute VB_Customizable = True",
        ]
        return cls.from_source("\n".join(attrs), kind="document")


def _class_attributes(lines: list[str]) -> list[str]:
    attrs = [ln for ln in lines if ln.startswith("Attribute VB_")]
    body = lines[len(attrs) :]
    names = {ln.split("=")[0].split()[1]: ln for ln in attrs}
    order = ["VB_Name", "VB_Base", "VB_GlobalNameSpace", "VB_Creatable", "VB_PredeclaredId"]
    order += ["VB_Exposed", "VB_TemplateDerived", "VB_Customizable"]
    names.setdefault("VB_Base", f'Attribute VB_Base = "{CLASS_BASE}"')
    names.setdefault("VB_TemplateDerived", "Attribute VB_TemplateDerived = False")
    names.setdefault("VB_Customizable", "Attribute VB_Customizable = False")
    ordered = [names.pop(key) for key in order if key in names]
    return ordered + list(names.values()) + body


# --- the streams ----------------------------------------------------------------------------


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text_records(id_text: int, id_unicode: int, text: str) -> bytes:
    return _record(id_text, text.encode(ENCODING)) + _record(id_unicode, text.encode("utf-16-le"))


def dir_stream(modules: list[VbaModule], project_name: str) -> bytes:
    """The uncompressed ``dir`` stream (2.3.4.2) for these modules."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # SysKind: 32-bit Windows (as Excel writes)
    out += _record(0x0002, struct.pack("<I", LCID))
    out += _record(0x0014, struct.pack("<I", LCID))
    out += _record(0x0003, struct.pack("<H", CODEPAGE))
    out += _record(0x0004, project_name.encode(ENCODING))
    out += _text_records(0x0005, 0x0040, "")  # doc string
    out += _text_records(0x0006, 0x003D, "")  # help file
    out += _record(0x0007, struct.pack("<I", 0))  # help context
    out += _record(0x0008, struct.pack("<I", 0))  # lib flags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # version (its size field is reserved: 4)
    out += _text_records(0x000C, 0x003C, "")  # constants
    for name, libid in (("stdole", STDOLE_LIBID), ("Office", OFFICE_LIBID)):
        # a reference: REFERENCENAME, then REFERENCEREGISTERED (2.3.4.2.2)
        out += _text_records(0x0016, 0x003E, name)
        encoded = libid.encode(ENCODING)
        registered = struct.pack("<I", len(encoded)) + encoded + struct.pack("<IH", 0, 0)
        out += _record(0x000D, registered)
    out += struct.pack("<HIH", 0x000F, 2, len(modules))
    out += struct.pack("<HIH", 0x0013, 2, 0xFFFF)  # project cookie
    for module in modules:
        out += _text_records(0x0019, 0x0047, module.name)
        out += _text_records(0x001A, 0x0032, module.name)  # stream name
        out += _text_records(0x001C, 0x0048, "")  # doc string
        out += _record(0x0031, struct.pack("<I", 0))  # source offset: no p-code before it
        out += _record(0x001E, struct.pack("<I", 0))  # help context
        out += struct.pack("<HIH", 0x002C, 2, 0xFFFF)  # module cookie
        out += struct.pack("<HI", 0x0021 if module.kind == "module" else 0x0022, 0)
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def project_stream(modules: list[VbaModule], project_name: str, project_id: str) -> bytes:
    """The ``PROJECT`` stream (2.3.1): properties, host extenders and workspace."""
    label = {"module": "Module", "class": "Class"}
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        else:
            lines.append(f"{label[module.kind]}={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(UNPROTECTED, project_id, seed=0x51)}"',
        f'DPB="{encrypt(NO_PASSWORD, project_id, seed=0x52)}"',
        f'GC="{encrypt(VISIBLE, project_id, seed=0x53)}"',
        "",
        "[Host Extender Info]",
        HOST_EXTENDERS,
        "",
        "[Workspace]",
    ]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in modules]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def project_wm_stream(modules: list[VbaModule]) -> bytes:
    """The ``PROJECTwm`` stream (2.3.3): each module name null-terminated in the code page, then
    in UTF-16 ending in 0x0000, in the order of the ``PROJECT`` stream; 0x0000 at the end.

    >>> project_wm_stream([VbaModule.document("Sheet1")])
    b'Sheet1\\x00S\\x00h\\x00e\\x00e\\x00t\\x001\\x00\\x00\\x00\\x00\\x00'
    """
    out = bytearray()
    for module in modules:
        out += module.name.encode(ENCODING) + b"\0" + module.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


def vba_project_bin(
    modules: Iterable[VbaModule], project_name: str = "VBAProject", project_id: str | None = None
) -> bytes:
    """The bytes of a ``vbaProject.bin`` holding ``modules`` as source only (no p-code)."""
    modules = list(modules)
    names = [m.name.lower() for m in modules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SopError(f"VBA module names must be unique; got {', '.join(duplicates)} twice")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,127}", project_name):
        raise SopError(f"project_name must be a VBA identifier; got {show(project_name)}")
    project_id = project_id or "{" + str(uuid.uuid4()).upper() + "}"
    streams = {
        "PROJECT": project_stream(modules, project_name, project_id),
        "PROJECTwm": project_wm_stream(modules),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(modules, project_name)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(module.code.encode(ENCODING))
    return compound_file(streams)
