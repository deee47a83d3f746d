"""What Excel expects of the add-in and the template (issue 13), checked against Excel's own files.

- the ``xlwings.conf`` keys are the ones xlwings' VBA reads: the names come from the installed
  xlwings package (``xlwings.bas``, ``xlwings_custom_addin.bas`` and the VBA inside its
  ``xlwings.xlam``), never typed here;
- the VBA project has a well-formed ``PROJECTwm`` stream (MS-OVBA 2.3.3);
- the template's tab and the add-in's tab differ; ribbon labels escape "&" as "&&";
- every button goes through one guard (no workbook, Protected View) before ``RunPython``;
- Python refuses a file whose xlwings VBA is not the installed xlwings, in one line;
- our packages have the structure of a macro workbook written by Excel (XlsxWriter's
  ``macro01.xlsm``, Excel 2007; the bytes kept in ``tests/data/excel_made``, BSD-2-Clause):
  content types, relationships, compound file, ``PROJECT``, ``PROJECTwm`` and ``dir`` records.
"""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import olefile
import pytest
import xlwings
from oletools.olevba import VBA_Parser, decompress_stream
from openpyxl import load_workbook

from sop_xl import addin
from sop_xl.macros import MACROS
from sop_xl.workbook.builder import TEMPLATE_PATH

ROOT = Path(__file__).resolve().parents[1]
EXCEL = Path(__file__).parent / "data" / "excel_made"
XLWINGS = Path(xlwings.__file__).parent
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_GET_CONFIG = re.compile(r'\bGetConfig\("([^"]+)"')


# --- helpers -----------------------------------------------------------------------------------


def vba_sources(package: bytes) -> dict[str, str]:
    parser = VBA_Parser("package", data=package)
    try:
        return {name.split("/")[-1]: code for _, name, _, code in parser.extract_all_macros()}
    finally:
        parser.close()


def config_keys(*sources: str) -> set[str]:
    """The keys ``GetConfig("...")`` reads in xlwings' VBA source."""
    return {key for source in sources for key in _GET_CONFIG.findall(source)}


def conf_sheet_keys(path: Path) -> list[str]:
    """Column A of the ``xlwings.conf`` sheet, from A1 down to the first blank, as xlwings'
    ``GetConfigFromSheet`` reads it."""
    sheet = load_workbook(path, read_only=True)["xlwings.conf"]
    keys = []
    for (value,) in sheet.iter_rows(min_col=1, max_col=1, values_only=True):
        if value in (None, ""):
            break
        keys.append(str(value))
    return keys


def parse_project_wm(data: bytes) -> list[str]:
    """Module names of a PROJECTwm stream (MS-OVBA 2.3.3), checking each MBCS name against its
    UTF-16 twin and the 0x0000 terminator; raises AssertionError when malformed."""
    names, pos = [], 0
    while data[pos : pos + 2] != b"\0\0":
        end = data.index(b"\0", pos)
        name = data[pos:end].decode("cp1252")
        pos = end + 1
        wide = name.encode("utf-16-le") + b"\0\0"
        assert data[pos : pos + len(wide)] == wide, f"UTF-16 name of {name} does not match"
        pos += len(wide)
        names.append(name)
    assert pos + 2 == len(data), "bytes after the PROJECTwm terminator"
    return names


def dir_records(compressed: bytes) -> list[tuple[int, bytes]]:
    """``(id, data)`` of every record of a compressed ``dir`` stream (MS-OVBA 2.3.4.2)."""
    data = bytes(decompress_stream(bytearray(compressed)))
    records, pos = [], 0
    while pos < len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        size = 6 if record_id == 0x0009 else size  # PROJECTVERSION: Reserved is 4, data is 6
        records.append((record_id, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


def dir_shape(records: list[tuple[int, bytes]]) -> dict:
    """The structure of a dir stream: project records, references, module records."""
    ids = [rid for rid, _ in records]
    first_ref, modules_at = ids.index(0x0016), ids.index(0x000F)
    module_ids, current = [], []
    for rid in ids[modules_at + 2 : -1]:  # after PROJECTMODULES and PROJECTCOOKIE
        current.append(0x0021 if rid in (0x0021, 0x0022) else rid)  # module or document
        if rid == 0x002B:
            module_ids.append(tuple(current))
            current = []
    values = dict(records[:first_ref])
    return {
        "project": ids[:first_ref],
        "references": ids[first_ref:modules_at],
        "libids": [
            re.search(rb"\{[0-9A-F-]+\}", data).group(0)
            for rid, data in records[first_ref:modules_at]
            if rid == 0x000D
        ],
        "module_header": ids[modules_at : modules_at + 2],
        "module_records": set(module_ids),
        "last": ids[-1],
        "syskind_lcid_codepage": [values[0x0001], values[0x0002], values[0x0014], values[0x0003]],
        "module_names": [data.decode("cp1252") for rid, data in records if rid == 0x0019],
    }


def project_shape(text: str) -> tuple[list[str], list[str], list[str]]:
    """The line kinds of a PROJECT stream (runs of module and workspace lines collapsed), its
    module names in order and its [Workspace] names in order."""
    kinds, modules, workspace, section = [], [], [], ""
    for line in text.split("\r\n"):
        if line.startswith("["):
            section = line
            kinds.append(line)
            continue
        key = line.split("=", 1)[0]
        if not section and key in ("Module", "Document", "Class", "BaseClass"):
            modules.append(line.split("=", 1)[1].split("/")[0])
            key = "<modules>"
        elif section == "[Workspace]" and line:
            workspace.append(key)
            key = "<workspace>"
        if not kinds or kinds[-1] != key or not key.startswith("<"):
            kinds.append(key)
    return kinds, modules, workspace


def cfb_tree(header_and_directory: bytes) -> dict:
    """Header fields and ``{path: type}`` of a compound file, from its header and directory."""
    header = header_and_directory[:512]
    fields = struct.unpack_from("<HHHHH", header, 24)  # minor, major, byte order, shifts
    (cutoff,) = struct.unpack_from("<I", header, 56)
    entries = []
    directory = header_and_directory[512:]
    for offset in range(0, len(directory), 128):
        raw = directory[offset : offset + 128]
        (name_size,) = struct.unpack_from("<H", raw, 64)
        kind, _, left, right, child = struct.unpack_from("<BBIII", raw, 66)
        entries.append((raw[: max(name_size - 2, 0)].decode("utf-16-le"), kind, left, right, child))
    paths: dict[str, int] = {}

    def walk(sid: int, prefix: str) -> None:
        if sid == olefile.NOSTREAM:
            return
        name, kind, left, right, child = entries[sid]
        paths[prefix + name] = kind
        walk(left, prefix)
        walk(right, prefix)
        if kind == olefile.STGTY_STORAGE:
            walk(child, prefix + name + "/")

    walk(entries[0][4], "")
    return {"header": (fields[1:], cutoff), "paths": paths}


def our_cfb(package: bytes) -> tuple[bytes, olefile.OleFileIO]:
    with zipfile.ZipFile(io.BytesIO(package)) as book:
        data = book.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data)
    chain, sector = [], ole.first_dir_sector
    while sector < olefile.MAXREGSECT + 1:
        chain.append(sector)
        sector = ole.fat[sector]
    directory = b"".join(data[512 * (1 + n) : 512 * (2 + n)] for n in chain)
    return data[:512] + directory, ole


def content_type(types: ElementTree.Element, part: str) -> str | None:
    """The effective content type of ``part``: its Override, else the Default of its suffix."""
    for node in types.iter(f"{CT}Override"):
        if node.get("PartName") == part:
            return node.get("ContentType")
    for node in types.iter(f"{CT}Default"):
        if part.rsplit(".", 1)[-1].lower() == node.get("Extension", "").lower():
            return node.get("ContentType")
    return None


# --- 1. the xlwings.conf keys xlwings reads ----------------------------------------------------


def test_config_keys_are_read_from_xlwings_own_vba():
    template_keys = config_keys((XLWINGS / "xlwings.bas").read_text(encoding="cp1252"))
    addin_keys = config_keys(
        *vba_sources((XLWINGS / "addin" / "xlwings.xlam").read_bytes()).values()
    )
    # the reader can fail: xlwings spells this key with a space, not an underscore
    assert "UDF MODULES" in template_keys and "UDF MODULES" in addin_keys
    assert "UDF_MODULES" not in template_keys | addin_keys
    assert {"INTERPRETER_WIN", "INTERPRETER_MAC"} <= template_keys & addin_keys


@pytest.mark.parametrize("source", ["committed", "xlsm"])
def test_every_xlwings_conf_key_is_one_xlwings_reads(built_addin, source):
    path = TEMPLATE_PATH if source == "committed" else built_addin["xlsm"]
    keys = conf_sheet_keys(path)
    assert keys, "the xlwings.conf sheet holds no key"
    # GetConfigFromSheet upper-cases column A; GetConfig looks the upper-case names up
    embedded = vba_sources(built_addin["xlsm"].read_bytes())["xlwings"]  # the template's own
    xlam = vba_sources((XLWINGS / "addin" / "xlwings.xlam").read_bytes()).values()
    for readers in (config_keys(embedded), config_keys(*xlam)):
        unknown = [key for key in keys if key.upper() not in readers]
        assert unknown == [], f"xlwings reads no key {unknown}"
    assert "UCase(cell.Value)" in embedded  # the upper-casing the check above relies on


# --- 2. PROJECTwm --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_project_wm_names_every_module_as_project_does(built_addin, kind):
    _, ole = our_cfb(built_addin[kind].read_bytes())
    names = parse_project_wm(ole.openstream("PROJECTwm").read())
    _, modules, workspace = project_shape(ole.openstream("PROJECT").read().decode("cp1252"))
    records = dir_shape(dir_records(ole.openstream("VBA/dir").read()))
    assert names == modules == workspace == records["module_names"]
    assert {"SopRibbon", "xlwings", "Dictionary", "ThisWorkbook", "Sheet1"} <= set(names)


def test_project_wm_parser_reads_excel_and_refuses_a_broken_stream():
    excel = (EXCEL / "vbaProject01_PROJECTwm").read_bytes()
    assert parse_project_wm(excel) == ["Module1", "ThisWorkbook", "Sheet1"]
    with pytest.raises(AssertionError, match="UTF-16 name of Module1"):
        parse_project_wm(excel.replace(b"M\0o\0", b"X\0o\0", 1))
    with pytest.raises(AssertionError, match="after the PROJECTwm terminator"):
        parse_project_wm(excel + b"\0")


# --- 3. the two tabs and their labels ------------------------------------------------------------


def ribbon_of(path: Path) -> ElementTree.Element:
    with zipfile.ZipFile(path) as book:
        return ElementTree.fromstring(book.read("customUI/customUI.xml"))


def test_template_and_addin_tabs_differ(built_addin):
    tabs = {k: [t.attrib for t in ribbon_of(p).iter(f"{CUI}tab")] for k, p in built_addin.items()}
    assert [len(t) for t in tabs.values()] == [1, 1]
    addin_tab, template_tab = tabs["xlam"][0], tabs["xlsm"][0]
    for attribute in ("id", "label", "keytip"):
        assert addin_tab[attribute] != template_tab[attribute], attribute
    assert (addin_tab["label"], template_tab["label"]) == ("S&&OP", "S&&OP Workbook")


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_every_label_escapes_its_ampersands(built_addin, kind):
    # a single "&" marks an accelerator key and is not shown; "&&" shows one "&" (the Windows
    # Ribbon framework's UI_PKEY_Label docs); tips carry no "&" at all
    labelled = [n for n in ribbon_of(built_addin[kind]).iter() if n.get("label")]
    assert len(labelled) == 1 + 6 + 9  # the tab, its groups, the buttons
    for node in labelled:
        assert "&" not in node.get("label").replace("&&", ""), node.get("label")
    for node in ribbon_of(built_addin[kind]).iter():
        for tip in ("screentip", "supertip"):
            assert "&" not in (node.get(tip) or ""), node.get("id")


# --- 4. every callback guarded -------------------------------------------------------------------


def sop_run(source: str) -> str:
    match = re.search(r"^Private Sub SopRun\(macro As String\)$(.*?)^End Sub$", source, re.M | re.S)
    assert match, "SopRun not found"
    return match.group(1)


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_every_callback_passes_the_guard_before_runpython(built_addin, kind):
    source = vba_sources(built_addin[kind].read_bytes())["SopRibbon"].replace("\r\n", "\n")
    # every button's callback is the one line SopRun "<macro>" (addin.callbacks refuses more)
    assert sorted(addin.callbacks(source).values()) == sorted(MACROS)
    body = sop_run(source)
    protected = body.index("If Not Application.ActiveProtectedViewWindow Is Nothing Then")
    no_book = body.index("If ActiveWorkbook Is Nothing Then")
    handler = body.index("On Error GoTo failed")
    run = body.index(addin.RUN_BUTTON)
    assert protected < no_book < handler < run
    # each refusal shows a message and leaves before RunPython
    for start in (protected, no_book):
        branch = body[start : body.index("End If", start)]
        assert "MsgBox " in branch and "Exit Sub" in branch
    # Protected View exists only in Windows Excel: compiled out on the Mac
    assert body.rindex("#If Not Mac Then", 0, protected) < protected < body.index("#End If")
    # the only RunPython and the only use of ActiveWorkbook are SopRun's
    assert source.count('RunPython "') == 1 and source.count("ActiveWorkbook") == 1
    failed = body[body.index("failed:") :]
    assert "sop-xl build-addin" in failed and "XLWINGS_VERSION" in failed


# --- 5. an xlwings upgrade after the build -------------------------------------------------------


def run_button(*args: str) -> subprocess.CompletedProcess:
    """What RunPython starts on Windows: ``python -c "<command>"``; stderr is what Excel shows."""
    command = f"import sop_xl.addin as a; a.run_button{args!r}"
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'udfs'}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_version_mismatch_stops_in_one_line_naming_the_rebuild():
    result = run_button("validate_inputs", "0.0.1")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"sop-xl: this file's VBA comes from xlwings 0.0.1 but Python has xlwings "
        f"{xlwings.__version__}: rebuild it with: sop-xl build-addin (then reinstall "
        "sop_xl.xlam, or use the new sop_template.xlsm)"
    ]


def test_an_unknown_macro_stops_in_one_line(capsys):
    with pytest.raises(SystemExit, match="1"):
        addin.run_button("run_all", xlwings.__version__)
    assert capsys.readouterr().err.splitlines() == [
        f"sop-xl: no macro 'run_all'; one of {', '.join(MACROS)}"
    ]


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_the_vba_passes_the_xlwings_version_it_was_built_with(built_addin, kind):
    xlwings_module = vba_sources(built_addin[kind].read_bytes())["xlwings"]
    constant = f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"'
    assert xlwings_module.count(constant) == 1
    # on macOS, a stale AppleScript name stops in xlwings' own handler: it names the rebuild
    assert f"for xlwings {xlwings.__version__}: if xlwings was upgraded, rebuild this file with " \
        "sop-xl build-addin" in xlwings_module  # fmt: skip


# --- 6. the structure of a macro workbook written by Excel ---------------------------------------


@pytest.fixture(scope="module")
def excel() -> dict:
    return {
        "cfb": cfb_tree((EXCEL / "vbaProject01_header_directory.bin").read_bytes()),
        "PROJECT": (EXCEL / "vbaProject01_PROJECT").read_bytes().decode("cp1252"),
        "PROJECTwm": (EXCEL / "vbaProject01_PROJECTwm").read_bytes(),
        "dir": dir_records((EXCEL / "vbaProject01_dir").read_bytes()),
        "types": ElementTree.parse(EXCEL / "macro01_content_types.xml").getroot(),
        "rels": ElementTree.parse(EXCEL / "macro01_workbook.xml.rels").getroot(),
        "workbook": ElementTree.parse(EXCEL / "macro01_workbook.xml").getroot(),
    }


def test_the_excel_reference_is_what_the_readme_says(excel):
    assert excel["cfb"]["paths"]["VBA"] == olefile.STGTY_STORAGE
    assert parse_project_wm(excel["PROJECTwm"]) == ["Module1", "ThisWorkbook", "Sheet1"]
    assert b"Microsoft Office 12.0 Object Library" in b"".join(d for _, d in excel["dir"])


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_compound_file_has_excels_streams_but_the_compiled_code(built_addin, excel, kind):
    raw, ole = our_cfb(built_addin[kind].read_bytes())
    ours = cfb_tree(raw)
    assert ours["header"] == excel["cfb"]["header"]  # v3, little-endian, 512/64, cutoff 4096
    # the same tree as olefile reads it: our directory parser is not fooling itself
    assert sorted(ours["paths"]) == sorted(
        "/".join(p) for p in ole.listdir(streams=True, storages=True)
    )

    def shape(paths: dict[str, int], modules: list[str]) -> dict[str, int]:
        # module streams carry each file's own names; __SRP_n are Excel's compiled-code cache
        skip = {f"VBA/{m}" for m in modules}
        return {p: t for p, t in paths.items() if p not in skip and not p.startswith("VBA/__SRP_")}

    excel_modules = parse_project_wm(excel["PROJECTwm"])
    our_modules = parse_project_wm(ole.openstream("PROJECTwm").read())
    assert shape(ours["paths"], our_modules) == shape(excel["cfb"]["paths"], excel_modules)
    assert shape(ours["paths"], our_modules) == {
        "PROJECT": olefile.STGTY_STREAM,
        "PROJECTwm": olefile.STGTY_STREAM,
        "VBA": olefile.STGTY_STORAGE,
        "VBA/_VBA_PROJECT": olefile.STGTY_STREAM,
        "VBA/dir": olefile.STGTY_STREAM,
    }
    for paths, modules in ((ours["paths"], our_modules), (excel["cfb"]["paths"], excel_modules)):
        assert all(paths.get(f"VBA/{m}") == olefile.STGTY_STREAM for m in modules)


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_project_stream_has_excels_lines_in_excels_order(built_addin, excel, kind):
    _, ole = our_cfb(built_addin[kind].read_bytes())
    text = ole.openstream("PROJECT").read().decode("cp1252")
    ours, excels = project_shape(text), project_shape(excel["PROJECT"])
    assert ours[0] == excels[0] == [
        "ID", "<modules>", "Name", "HelpContextID", "VersionCompatible32", "CMG", "DPB", "GC",
        "", "[Host Extender Info]", "&H00000001", "", "[Workspace]", "<workspace>", "",
    ]  # fmt: skip
    for line in ('VersionCompatible32="393222000"', "[Host Extender Info]\r\n&H00000001="):
        assert line in text and line in excel["PROJECT"]
    host = re.search(r"^&H00000001=.*$", excel["PROJECT"], re.M).group(0)
    assert host in text
    assert ours[1] == ours[2] and excels[1] == excels[2]  # [Workspace] lists every module


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_dir_stream_has_excels_records_in_excels_order(built_addin, excel, kind):
    _, ole = our_cfb(built_addin[kind].read_bytes())
    ours = dir_shape(dir_records(ole.openstream("VBA/dir").read()))
    excels = dir_shape(excel["dir"])
    for key in ("project", "references", "libids", "module_header", "last"):
        assert ours[key] == excels[key], key
    assert ours["syskind_lcid_codepage"] == excels["syskind_lcid_codepage"]
    # every module, ours and Excel's, has the same records in the same order
    assert ours["module_records"] == excels["module_records"]
    assert len(ours["module_records"]) == 1
    assert ours["module_names"] == parse_project_wm(ole.openstream("PROJECTwm").read())


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_package_parts_have_excels_types_and_relationships(built_addin, excel, kind):
    with zipfile.ZipFile(built_addin[kind]) as book:
        types = ElementTree.fromstring(book.read("[Content_Types].xml"))
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    part = "/xl/vbaProject.bin"
    assert content_type(types, part) == content_type(excel["types"], part)
    assert content_type(excel["types"], part) == "application/vnd.ms-office.vbaProject"
    main = content_type(types, "/xl/workbook.xml")
    excel_main = content_type(excel["types"], "/xl/workbook.xml")
    assert excel_main == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    assert main == (excel_main if kind == "xlsm" else excel_main.replace(".sheet.", ".addin."))

    def vba_rels(root):
        return [
            (r.get("Type"), r.get("Target"))
            for r in root.iter(f"{REL}Relationship")
            if r.get("Target") == "vbaProject.bin"
        ]

    assert vba_rels(rels) == vba_rels(excel["rels"])
    assert len(vba_rels(rels)) == 1
    code_name = [w.find(f"{MAIN}workbookPr").get("codeName") for w in (workbook, excel["workbook"])]
    assert code_name == ["ThisWorkbook", "ThisWorkbook"]


def test_new_xlsm_carries_the_template_vba_through_a_save(tmp_path):
    """``sop-xl new FILE.xlsm``: the template's VBA and tab, still there after sop-xl saves it
    (the file gateway every command writes through)."""
    from sop_xl.cli import main
    from sop_xl.workbook.book import open_book

    path = tmp_path / "plan.xlsm"
    assert main(["new", str(path)]) == 0
    _, bas = addin.read_ribbon()
    assert len(addin.verify(path.read_bytes(), "xlsm", bas)) == len(MACROS)
    open_book(path).save()
    assert len(addin.verify(path.read_bytes(), "xlsm", bas)) == len(MACROS)
    assert [t.get("id") for t in ribbon_of(path).iter(f"{CUI}tab")] == ["sopWorkbookTab"]
