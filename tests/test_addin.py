"""The S&OP ribbon add-in, built on Linux and read back by independent readers.

``sop-xl build-addin`` writes ``sop_xl.xlam`` and ``sop_template.xlsm``. These tests open them as
zip packages (customUI part, relationships, content types, code names), extract the VBA with
oletools' olevba (every module, every ribbon callback), read the compound file with olefile,
and let LibreOffice open the workbook and rewrite its VBA project (a round trip through a
second, independent MS-OVBA reader and writer). Excel itself is not available here.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import io
import random
import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

from sop_xl import addin
from sop_xl.cli import main
from sop_xl.compound_file import compound_file
from sop_xl.errors import SopError
from sop_xl.vba_project import (
    WORKBOOK_BASE,
    VbaModule,
    compress,
    decrypt,
    encrypt,
    vba_project_bin,
)
from sop_xl.workbook import schema

NINE_MACROS = [
    "refresh_forecast",
    "build_demand_plan",
    "build_supply_plan",
    "reconcile",
    "refresh_kpis",
    "run_cycle",
    "validate_inputs",
    "snapshot_cycle",
    "roll_forward",
]
GROUPS = ["Data", "Demand", "Supply", "Reconcile", "Executive", "Records"]
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RIBBON = Path(__file__).resolve().parents[1] / "workbook_templates" / "ribbon"
KINDS = {"xlam": "sop_xl.xlam", "xlsm": "sop_template.xlsm"}
CALLBACK = r"^Sub {}\(control As IRibbonControl\)\s*$"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="no LibreOffice")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("addin")
    assert main(["build-addin", "--out", str(out)]) == 0
    return {kind: out / name for kind, name in KINDS.items()}


def vba_of(path_or_bytes) -> dict[str, str]:
    """Module name -> source, extracted by olevba."""
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    parser = VBA_Parser("book", data=data)
    try:
        return {
            stream.split("/")[-1]: code.replace("\r\n", "\n")
            for _, stream, _, code in parser.extract_all_macros()
        }
    finally:
        parser.close()


def custom_ui() -> ElementTree.Element:
    return ElementTree.parse(RIBBON / "customUI.xml").getroot()


def soffice(source: Path, fmt: str, outdir: Path, infilter: str | None = None) -> Path:
    """Convert ``source`` with LibreOffice and a fresh profile; return the converted file."""
    profile = outdir / f"profile-{uuid.uuid4().hex}"
    outdir.mkdir(parents=True, exist_ok=True)
    command = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", fmt, "--outdir", str(outdir), str(source)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    target = outdir / (source.stem + "." + fmt.split(":")[0])
    assert target.exists(), f"soffice made no {fmt}: {result.stdout} {result.stderr}"
    return target


# --- the ribbon sources ------------------------------------------------------------------------


def test_macro_names_are_the_nine_of_the_design():
    assert list(addin.MACROS) == NINE_MACROS


def test_tab_groups_in_cycle_order_with_icons_labels_and_screentips():
    tabs = list(custom_ui().iter(f"{CUI}tab"))
    assert [t.get("label") for t in tabs] == ["S&OP"]
    assert [g.get("label") for g in tabs[0].iter(f"{CUI}group")] == GROUPS
    buttons = list(tabs[0].iter(f"{CUI}button"))
    assert len(buttons) == 9
    for button in buttons:
        for attribute in ("id", "label", "imageMso", "screentip", "supertip", "onAction"):
            assert button.get(attribute), f"{button.get('id')} has no {attribute}"
    assert len({b.get("id") for b in buttons}) == 9


def test_every_on_action_names_a_sub_of_the_bas():
    bas = (RIBBON / "SopRibbon.bas").read_text()
    for button in custom_ui().iter(f"{CUI}button"):
        module, sub = button.get("onAction").split(".")
        assert module == "SopRibbon"
        assert re.search(CALLBACK.format(sub), bas, re.MULTILINE), sub


def test_every_runpython_target_is_one_of_the_nine_macros():
    bas = (RIBBON / "SopRibbon.bas").read_text()
    targets = re.findall(r'RunPython "import sop_xl\.macros as m; m\.(\w+)\(\)"', bas)
    assert sorted(targets) == sorted(NINE_MACROS)
    assert addin.callbacks(bas) == {
        "ValidateInputs": "validate_inputs",
        "RefreshForecast": "refresh_forecast",
        "BuildDemandPlan": "build_demand_plan",
        "BuildSupplyPlan": "build_supply_plan",
        "Reconcile": "reconcile",
        "RefreshKpis": "refresh_kpis",
        "RunCycle": "run_cycle",
        "SnapshotCycle": "snapshot_cycle",
        "RollForward": "roll_forward",
    }


@pytest.mark.skipif(
    importlib.util.find_spec("sop_xl.macros") is None, reason="sop_xl.macros not built yet"
)
@pytest.mark.parametrize("name", NINE_MACROS)
def test_every_macro_is_importable_and_callable_with_book(name):
    macros = importlib.import_module("sop_xl.macros")
    function = getattr(macros, name)
    assert callable(function)
    book = inspect.signature(function).parameters["book"]
    assert book.default is None


def test_sources_that_disagree_are_refused():
    cui = (RIBBON / "customUI.xml").read_text()
    bas = (RIBBON / "SopRibbon.bas").read_text()
    with pytest.raises(
        SopError, match="onAction must name a Sub of SopRibbon.bas.*'SopRibbon.Nope'"
    ):
        addin.buttons(cui.replace("SopRibbon.RunCycle", "SopRibbon.Nope"), bas)
    with pytest.raises(SopError, match=r"unknown \['run_all'\], missing \['run_cycle'\]"):
        addin.buttons(cui, bas.replace("m.run_cycle()", "m.run_all()"))
    with pytest.raises(SopError, match="callback RunCycle must call RunPython on exactly one"):
        addin.buttons(cui, bas.replace('RunPython "import sop_xl.macros as m; m.run_cycle()"', ""))
    with pytest.raises(SopError, match="must use the namespace"):
        addin.buttons(cui.replace("2006/01/customui", "2009/07/customui"), bas)


# --- the built packages ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_package_has_customui_part_relationship_and_content_types(built, kind):
    with zipfile.ZipFile(built[kind]) as book:
        assert book.testzip() is None
        assert book.read("customUI/customUI.xml") == (RIBBON / "customUI.xml").read_bytes()
        rels = ElementTree.fromstring(book.read("_rels/.rels"))
        types = ElementTree.fromstring(book.read("[Content_Types].xml"))
        wb_rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        sheets = [n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        code_names = [
            ElementTree.fromstring(book.read(n)).find(f"{MAIN}sheetPr").get("codeName")
            for n in sheets
        ]
    ui = [r for r in rels if r.get("Target") == "customUI/customUI.xml"]
    assert [r.get("Type") for r in ui] == [
        "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
    ]
    overrides = {o.get("PartName"): o.get("ContentType") for o in types}
    main_type = {
        "xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
        "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    }[kind]
    assert overrides["/xl/workbook.xml"] == main_type
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    vba_rels = [r for r in wb_rels if r.get("Target") == "vbaProject.bin"]
    assert [r.get("Type") for r in vba_rels] == [
        "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
    ]
    assert len({r.get("Id") for r in wb_rels}) == len(wb_rels)
    assert workbook.find(f"{MAIN}workbookPr").get("codeName") == "ThisWorkbook"
    assert sorted(code_names) == sorted(f"Sheet{i}" for i in range(1, len(sheets) + 1))
    assert len(sheets) == (1 if kind == "xlam" else len(schema.SHEETS))


@pytest.mark.parametrize("kind", KINDS)
def test_olevba_extracts_every_module_as_written(built, kind):
    modules = vba_of(built[kind])
    n_sheets = 1 if kind == "xlam" else len(schema.SHEETS)
    documents = ["ThisWorkbook"] + [f"Sheet{i}" for i in range(1, n_sheets + 1)]
    assert sorted(modules) == sorted(documents + ["xlwings", "Dictionary", "SopRibbon"])
    ribbon_source = (RIBBON / "SopRibbon.bas").read_text().replace("\r\n", "\n")
    assert modules["SopRibbon"].rstrip("\n") == ribbon_source.rstrip("\n")
    assert (
        'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in modules["ThisWorkbook"]
    )
    assert "Public Function RunPython(PythonCommand As String)" in modules["xlwings"]
    assert 'Attribute VB_Name = "Dictionary"' in modules["Dictionary"]
    # the add-in runs macros on the active workbook and reads the xlwings settings
    if kind == "xlam":
        assert 'Public Const PROJECT_NAME As String = "xlwings"' in modules["xlwings"]
        assert (
            'XLPy.Module("xlwings._xlwindows"), "BOOK_CALLER", ActiveWorkbook' in modules["xlwings"]
        )
    else:
        assert '"BOOK_CALLER", ThisWorkbook' in modules["xlwings"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_on_action_reaches_an_extracted_callback_running_a_macro(built, kind):
    ribbon = vba_of(built[kind])["SopRibbon"]
    with zipfile.ZipFile(built[kind]) as book:
        root = ElementTree.fromstring(book.read("customUI/customUI.xml"))
    targets = []
    for button in root.iter(f"{CUI}button"):
        sub = button.get("onAction").split(".")[1]
        body = re.search(CALLBACK.format(sub) + r"(.*?)^End Sub", ribbon, re.MULTILINE | re.DOTALL)
        assert body, f"{sub} not in the extracted VBA"
        targets += re.findall(r'RunPython "import sop_xl\.macros as m; m\.(\w+)\(\)"', body[1])
    assert sorted(targets) == sorted(NINE_MACROS)


@pytest.mark.parametrize("kind", KINDS)
def test_vba_project_streams(built, kind):
    with zipfile.ZipFile(built[kind]) as book:
        ole = olefile.OleFileIO(io.BytesIO(book.read("xl/vbaProject.bin")))
    # version 0xFFFF, no performance cache: source only, compiled by Office on load; the same
    # 7 bytes as MS-OVBA's example 3.1.1 and xlwings 0.37.8's quickstart_addin_ribbon.xlam
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("cc61ffff000100")
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert 'Name="SopXl"' in project
    assert "Module=SopRibbon" in project and "Class=Dictionary" in project
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', project, re.MULTILINE))
    assert decrypt(values["CMG"]) == bytes(4)  # not protected
    assert decrypt(values["DPB"]) == b"\x00"  # no password
    assert decrypt(values["GC"]) == b"\xff"  # visible
    directory = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    assert b"Microsoft Office 16.0 Object Library" in directory  # for IRibbonControl


def test_build_is_refused_when_out_is_a_file(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x")
    assert main(["build-addin", "--out", str(target)]) == 1
    assert "--out must be a folder; got the file" in capsys.readouterr().err
    assert target.read_text() == "x"


def test_a_macro_workbook_is_not_macro_enabled_twice(built):
    cui = (RIBBON / "customUI.xml").read_text()
    bas = (RIBBON / "SopRibbon.bas").read_text()
    with pytest.raises(SopError, match="already has a VBA project or a ribbon"):
        addin.macro_enable(built["xlsm"].read_bytes(), "xlsm", cui, bas)
    with pytest.raises(SopError, match="kind must be xlsm or xlam; got 'xlsb'"):
        addin.macro_enable(b"", "xlsb", cui, bas)


# --- LibreOffice: a second, independent reader ---------------------------------------------------


@needs_soffice
def test_libreoffice_opens_the_template_and_renders_it(built, tmp_path):
    pdf = soffice(built["xlsm"], "pdf", tmp_path)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "S&OP cycle" in text


@needs_soffice
@pytest.mark.parametrize("kind", KINDS)
def test_vba_survives_a_libreoffice_round_trip(built, tmp_path, kind):
    """LibreOffice imports the modules and writes a VBA project of its own (a new project ID):
    every module comes back; class attributes are LibreOffice's loss, not ours."""
    infilter = "Calc MS Excel 2007 VBA XML" if kind == "xlam" else None  # no .xlam detection
    again = soffice(built[kind], "xlsm:Calc MS Excel 2007 VBA XML", tmp_path, infilter)
    before, after = vba_of(built[kind]), vba_of(again)
    assert sorted(after) == sorted(before)
    for name in before:
        if name != "Dictionary":
            assert after[name].strip() == before[name].strip(), name
    assert "Option ClassModule" in after["Dictionary"]  # read as a class module
    assert "Public Property Get Count() As Long" in after["Dictionary"]
    with zipfile.ZipFile(again) as book:
        assert "customUI/customUI.xml" in book.namelist()
        ole = olefile.OleFileIO(io.BytesIO(book.read("xl/vbaProject.bin")))
        project = ole.openstream("PROJECT").read().decode("cp1252")
    assert addin.VBA_PROJECT_ID not in project  # rewritten by LibreOffice, not copied


# --- the writers themselves ------------------------------------------------------------------------


def test_compression_is_read_back_by_olevba():
    rng = random.Random(5)
    texts = [b"", b"a", b"a" * 10_000, (RIBBON / "SopRibbon.bas").read_bytes() * 9]
    texts += [
        bytes(rng.choice(b"ab \r\n") for _ in range(rng.randrange(1, 20_000))) for _ in range(8)
    ]
    texts += [rng.randbytes(4096 * 2)]  # incompressible: raw chunks
    for text in texts:
        assert bytes(decompress_stream(bytearray(compress(text)))) == text


def test_compression_of_the_spec_example():
    # MS-OVBA 3.2.1: no match, literal tokens only
    assert compress(b"abcdefghijklmnopqrstuv.") == bytes.fromhex(
        "0119b000616263646566676800696a6b6c6d6e6f70007172737475762e"
    )


@pytest.mark.parametrize(
    "value, plain",
    # CMG, DPB, GC written by Excel in xlwings 0.37.8's quickstart_addin_ribbon.xlam
    [("5D5F8AADDAA8DEA8DEA8DEA8DE", bytes(4)), ("5D5F8AADDAADDBADDBAD", b"\x00"),
     ("5D5F8AADDAADDBADDB52", b"\xff")],
)  # fmt: skip
def test_decrypt_reads_values_written_by_excel(value, plain):
    assert decrypt(value) == plain


def test_encrypt_round_trips_for_every_seed():
    project_id = "{318BEE36-5BE1-492A-826D-473DB19B0F30}"
    for seed in range(256):
        for data in (bytes(4), b"\x00", b"\xff", b"password"):
            assert decrypt(encrypt(data, project_id, seed)) == data


def _check_red_black(ole: olefile.OleFileIO) -> None:
    """Each storage's children form a search tree (length, then upper-case name), with equal
    black height on every path and no red node with a red child (MS-CFB 2.6.4)."""
    entries = ole.direntries

    def walk(sid: int, low, high) -> int:
        if sid == olefile.NOSTREAM:
            return 1
        entry = entries[sid]
        key = (len(entry.name), entry.name.upper())
        assert (low is None or low < key) and (high is None or key < high)
        for child in (entry.sid_left, entry.sid_right):
            if entry.color == 0 and child != olefile.NOSTREAM:
                assert entries[child].color == 1, "red node with a red child"
        left = walk(entry.sid_left, low, key)
        assert left == walk(entry.sid_right, key, high), "black heights differ"
        return left + entry.color

    for entry in entries:
        if entry is not None and entry.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE):
            walk(entry.sid_child, None, None)


def test_compound_file_is_read_back_by_olefile():
    rng = random.Random(3)
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 70_000]
    for count in (1, 2, 3, 4, 7, 8, 15, 16, 40):
        streams = {
            f"{rng.choice(['VBA', 'Other', 'A'])}/s{i}_{'x' * rng.randrange(8)}": rng.randbytes(
                rng.choice(sizes)
            )
            for i in range(count)
        }
        streams["PROJECT"] = b"ID=..."
        ole = olefile.OleFileIO(io.BytesIO(compound_file(streams)))
        assert sorted("/".join(p) for p in ole.listdir()) == sorted(streams)
        for path, data in streams.items():
            assert ole.openstream(path).read() == data
        _check_red_black(ole)


def test_vba_project_of_many_modules_reads_back():
    modules = [VbaModule.document("ThisWorkbook", WORKBOOK_BASE)]
    modules += [VbaModule.document(f"Sheet{i}") for i in range(1, 40)]
    modules += [
        VbaModule.from_source(f'Attribute VB_Name = "M{i}"\nSub S{i}()\nEnd Sub') for i in range(9)
    ]
    found = vba_of(vba_project_bin(modules, "Many"))
    assert found == {m.name: m.code.replace("\r\n", "\n") for m in modules}


def test_class_source_gets_excel_attributes():
    source = (
        'VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  \'True\nEND\nAttribute VB_Name = "Box"\n'
        "Attribute VB_GlobalNameSpace = False\nAttribute VB_Creatable = False\n"
        "Attribute VB_PredeclaredId = False\nAttribute VB_Exposed = False\nPublic Size As Long\n"
    )
    module = VbaModule.from_source(source)
    assert module.kind == "class"
    assert module.code.split("\r\n")[:2] == [
        'Attribute VB_Name = "Box"',
        'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
    ]
    assert module.code.endswith("Attribute VB_Customizable = False\r\nPublic Size As Long\r\n")


def test_bad_vba_input_is_refused():
    with pytest.raises(SopError, match='must contain a line Attribute VB_Name = "Name"; got'):
        VbaModule.from_source("Sub A()\nEnd Sub")
    with pytest.raises(SopError, match="kind must be one of module, class, document; got 'form'"):
        VbaModule.from_source('Attribute VB_Name = "A"', kind="form")
    one = VbaModule.from_source('Attribute VB_Name = "A"')
    with pytest.raises(SopError, match="VBA module names must be unique; got a twice"):
        vba_project_bin([one, one])
    with pytest.raises(SopError, match="project_name must be a VBA identifier; got 'S&OP'"):
        vba_project_bin([one], "S&OP")
    with pytest.raises(SopError, match="stream name must have 1 to 31 characters; got 'VBA/"):
        compound_file({"VBA/" + "x" * 32: b""})


def test_build_keeps_old_files_when_the_sources_are_bad(tmp_path):
    (tmp_path / "ribbon").mkdir()
    (tmp_path / "ribbon" / "customUI.xml").write_text((RIBBON / "customUI.xml").read_text())
    bas = (RIBBON / "SopRibbon.bas").read_text().replace("m.reconcile()", "m.recon()")
    (tmp_path / "ribbon" / "SopRibbon.bas").write_text(bas)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sop_xl.xlam").write_bytes(b"old")
    with pytest.raises(SopError, match=r"unknown \['recon'\], missing \['reconcile'\]"):
        addin.build_addin(tmp_path / "out", ribbon_dir=tmp_path / "ribbon")
    assert (tmp_path / "out" / "sop_xl.xlam").read_bytes() == b"old"
    with pytest.raises(SopError, match="ribbon source not found: .*customUI.xml"):
        addin.build_addin(tmp_path / "out", ribbon_dir=tmp_path)
