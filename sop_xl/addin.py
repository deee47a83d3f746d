"""Build the S&OP ribbon add-in ``sop_xl.xlam`` and the macro template ``sop_template.xlsm``.

Both carry the ribbon of ``workbook_templates/ribbon/customUI.xml`` (one button per macro of
:mod:`sop_xl.macros`) and the same VBA project, written from source text on any platform
(:mod:`sop_xl.vba_project`): the ribbon callbacks ``SopRibbon.bas``, xlwings' own VBA module
(``RunPython``) and its ``Dictionary`` class, both read from the installed xlwings package, and
one empty document module per workbook and sheet.

- the add-in uses ``xlwings_custom_addin.bas`` (macros run on the *active* workbook), with its
  ``PROJECT_NAME`` set to ``xlwings`` so that it reads the same settings as the xlwings add-in:
  the workbook's ``xlwings.conf`` sheet and the user's ``.xlwings/xlwings.conf`` file; its tab
  is "S&OP" (id ``sopTab``);
- the template (and any workbook made by :func:`macro_workbook`) uses ``xlwings.bas`` (macros
  run on the workbook itself), as ``xlwings quickstart --standalone`` does; its tab is
  "S&OP Workbook" (id ``sopWorkbookTab``, :data:`TABS`), so that with the add-in installed and
  the template open Excel shows two tabs that say which is which, not two "S&OP" tabs.

A button runs ``run_button(macro, version)`` in Python, ``version`` being the xlwings version of
the VBA module built in; when the xlwings package has moved on since, it stops with one line
saying to rebuild (``sop-xl build-addin``).

Every file is read back before it is written: olevba must extract each module exactly as
written, and every ribbon button must reach a callback that runs one of
:data:`sop_xl.macros.MACROS`.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from sop_xl.errors import SopError, show
from sop_xl.files import atomic_path
from sop_xl.vba_project import WORKBOOK_BASE, VbaModule, vba_project_bin

# The ribbon's text sources live in workbook_templates/ribbon; a wheel carries them inside the
# package as sop_xl/_ribbon (pyproject.toml, force-include), so build-addin works from either.
_PACKAGED = Path(__file__).resolve().parent / "_ribbon"
RIBBON_DIR = (
    _PACKAGED
    if _PACKAGED.is_dir()
    else Path(__file__).resolve().parents[1] / "workbook_templates" / "ribbon"
)
ADDIN_NAME = "sop_xl.xlam"
TEMPLATE_NAME = "sop_template.xlsm"
VBA_PROJECT_NAME = "SopXl"
VBA_PROJECT_ID = "{5E0F5C1A-7A3B-4C55-9E1D-50F0C0A1D001}"

CUSTOMUI_PART = "customUI/customUI.xml"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
REL_CUSTOMUI = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
CT_VBA = "application/vnd.ms-office.vbaProject"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_MAIN = {
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

_CALLBACK = re.compile(
    r"^Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl\s*\)(.*?)^End Sub",
    re.MULTILINE | re.DOTALL | re.IGNORECASE,
)
_SOPRUN = re.compile(r'^\s*SopRun\s+"(\w+)"\s*$', re.MULTILINE)
# the one RunPython call of SopRibbon.bas: the macro, then the xlwings version of the VBA module
RUN_BUTTON = (
    """RunPython "import sop_xl.addin as a; a.run_button('" & macro & "', '" & """
    """XLWINGS_VERSION & "')\""""
)
XLWINGS_MAC_HINT = "To enable RunPython, please run 'xlwings runpython install' in a terminal once"


@dataclass(frozen=True)
class Tab:
    """A ribbon tab: its id, label and keytip.

    The label doubles "&": a single "&" marks the next letter as a keyboard accelerator and is
    not shown; "&&" shows one "&" (Windows Ribbon framework, ``UI_PKEY_Label``).
    """

    id: str
    label: str
    keytip: str

    @property
    def attributes(self) -> str:
        """The attributes as ``customUI.xml`` writes them."""
        label = self.label.replace("&", "&amp;")
        return f'id="{self.id}" label="{label}" keytip="{self.keytip}"'


TABS = {
    "xlam": Tab(id="sopTab", label="S&&OP", keytip="SO"),
    "xlsm": Tab(id="sopWorkbookTab", label="S&&OP Workbook", keytip="SW"),
}


@dataclass(frozen=True)
class Button:
    """One ribbon button: its id, label, the VBA callback it calls and the macro that runs."""

    id: str
    label: str
    on_action: str
    macro: str


# --- the ribbon sources ---------------------------------------------------------------------


def read_ribbon(ribbon_dir: Path = RIBBON_DIR) -> tuple[str, str]:
    """The text of ``customUI.xml`` and ``SopRibbon.bas`` from ``ribbon_dir``."""
    paths = [ribbon_dir / "customUI.xml", ribbon_dir / "SopRibbon.bas"]
    for path in paths:
        if not path.is_file():
            raise SopError(
                f"ribbon source not found: {path} (build-addin runs from a source checkout of "
                "sop-xl, installed with pip install -e .)"
            )
    return paths[0].read_text(encoding="utf-8"), paths[1].read_text(encoding="cp1252")


def callbacks(bas: str) -> dict[str, str]:
    """``{Sub name: macro name}`` for every ``Sub X(control As IRibbonControl)`` of ``bas``.

    Each callback is one line, ``SopRun "<macro>"``: the guard and the RunPython call are
    SopRun's, written once.

    >>> callbacks('Sub Go(control As IRibbonControl)\\n    SopRun "run_cycle"\\nEnd Sub\\n')
    {'Go': 'run_cycle'}
    """
    found = {}
    for match in _CALLBACK.finditer(bas.replace("\r\n", "\n")):
        targets = _SOPRUN.findall(match.group(2))
        if len(targets) != 1 or match.group(2).strip().count("\n"):
            raise SopError(
                f'callback {match.group(1)} must be the one line SopRun "<macro of '
                f'sop_xl.macros>"; got {show(match.group(2).strip(), 80)}'
            )
        found[match.group(1)] = targets[0]
    return found


def template_ribbon(custom_ui: str) -> str:
    """The template's ribbon: the add-in's, with the tab id, label and keytip of the template."""
    tab = TABS["xlam"].attributes
    if custom_ui.count(tab) != 1:
        raise SopError(f"customUI.xml must hold the tab {tab} once; got {custom_ui.count(tab)}")
    return custom_ui.replace(tab, TABS["xlsm"].attributes)


def buttons(custom_ui: str, bas: str, module: str = "SopRibbon") -> list[Button]:
    """The buttons of ``custom_ui``, each checked against the callbacks of ``bas``.

    Every ``onAction`` must name ``<module>.<Sub>`` of ``bas``, every Sub must run one of
    :data:`sop_xl.macros.MACROS`, and each macro has exactly one button.
    """
    root = ElementTree.fromstring(custom_ui)
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise SopError(f"customUI.xml must use the namespace {CUSTOMUI_NS}; got {show(root.tag)}")
    subs = callbacks(bas)
    found = []
    for node in root.iter(f"{{{CUSTOMUI_NS}}}button"):
        action = node.get("onAction", "")
        prefix, _, sub = action.rpartition(".")
        if prefix != module or sub not in subs:
            raise SopError(
                f"button {node.get('id')} onAction must name a Sub of {module}.bas "
                f"({', '.join(sorted(subs))}); got {show(action)}"
            )
        found.append(Button(node.get("id", ""), node.get("label", ""), action, subs[sub]))
    from sop_xl.macros import MACROS  # late: a button's version check must not wait for it

    if bas.count(RUN_BUTTON) != 1:
        raise SopError(f"{module}.bas must call RunPython once, as {RUN_BUTTON}")
    macros = [b.macro for b in found]
    unknown = sorted(set(macros) - set(MACROS))
    missing = [m for m in MACROS if m not in macros]
    doubled = sorted({m for m in macros if macros.count(m) > 1})
    if unknown or missing or doubled:
        raise SopError(
            "the ribbon must have one button per macro of sop_xl.macros; "
            f"unknown {unknown}, missing {missing}, twice {doubled}"
        )
    return found


# --- the VBA project ------------------------------------------------------------------------


def xlwings_modules(addin: bool) -> list[VbaModule]:
    """xlwings' VBA module (``RunPython``) and its ``Dictionary`` class, from installed xlwings.

    For the add-in, ``xlwings_custom_addin.bas`` with ``PROJECT_NAME = "xlwings"`` (xlwings'
    custom add-in docs: "Renaming your add-in"), so its settings are the xlwings add-in's.
    """
    import xlwings

    folder = Path(xlwings.__file__).parent
    bas_path = folder / ("xlwings_custom_addin.bas" if addin else "xlwings.bas")
    cls_path = folder / "addin" / "Dictionary.cls"
    for path in (bas_path, cls_path):
        if not path.is_file():
            raise SopError(f"xlwings {xlwings.__version__} does not ship {path.name}; got {path}")
    bas = bas_path.read_text(encoding="cp1252")
    # on macOS a stale AppleScript name is the first thing an xlwings upgrade breaks
    if bas.count(XLWINGS_MAC_HINT) != 1:
        raise SopError(f"xlwings' RunPython hint for macOS not found once in {bas_path.name}")
    bas = bas.replace(
        XLWINGS_MAC_HINT,
        XLWINGS_MAC_HINT.replace(
            "once",
            f"once (for xlwings {xlwings.__version__}: if xlwings "
            "was upgraded, rebuild this file with sop-xl build-addin)",
        ),
    )
    if addin:
        line = re.compile(r'^(Public Const PROJECT_NAME As String = )"\w+"', re.MULTILINE)
        bas, count = line.subn(r'\1"xlwings"', bas)
        if count != 1:
            raise SopError(f"PROJECT_NAME not found once in {bas_path.name}; got {count}")
    return [
        VbaModule.from_source(bas),
        VbaModule.from_source(cls_path.read_text(encoding="cp1252")),
    ]


def vba_modules(bas: str, sheets: int, addin: bool) -> list[VbaModule]:
    """Document modules (ThisWorkbook, Sheet1..), xlwings, Dictionary and the ribbon module."""
    documents = [VbaModule.document("ThisWorkbook", WORKBOOK_BASE)]
    documents += [VbaModule.document(f"Sheet{i}") for i in range(1, sheets + 1)]
    return documents + xlwings_modules(addin) + [VbaModule.from_source(bas)]


# --- the package ------------------------------------------------------------------------------


def _next_id(rels: str) -> str:
    ids = [int(n) for n in re.findall(r'Id="rId(\d+)"', rels)]
    return f"rId{max(ids, default=0) + 1}"


def _add_relationship(rels: str, rel_type: str, target: str) -> str:
    if f'Type="{rel_type}"' in rels:
        raise SopError(f"the workbook already has a relationship {rel_type}")
    rel = f'<Relationship Id="{_next_id(rels)}" Type="{rel_type}" Target="{target}"/>'
    return rels.replace("</Relationships>", rel + "</Relationships>")


def _set_code_name(xml: str, tag: str, name: str, before: tuple[str, ...] = ()) -> str:
    """Give the ``<tag>`` properties element (workbookPr, sheetPr) ``codeName="name"``."""
    start = re.search(rf"<{tag}\b[^>]*?(/?)>", xml)
    if start:
        element = start.group(0)
        element = re.sub(r'\scodeName="[^"]*"', "", element)
        element = element.replace(f"<{tag}", f'<{tag} codeName="{name}"', 1)
        return xml[: start.start()] + element + xml[start.end() :]
    root = re.search(r"<(workbook|worksheet)\b[^>]*>", xml)
    if root is None:
        raise SopError(f"no workbook or worksheet element found for {tag}")
    position = root.end()
    for skip in before:  # elements the schema puts before <tag>
        match = re.search(rf"<{skip}\b[^>]*?(/>|>.*?</{skip}>)", xml[position:], re.DOTALL)
        if match and match.start() == 0:
            position += match.end()
    return xml[:position] + f'<{tag} codeName="{name}"/>' + xml[position:]


def _sheet_parts(parts: dict[str, bytes]) -> list[str]:
    """The worksheet parts in the workbook's sheet order."""
    workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {}
    for rel in rels.iter(f"{{{NS_PKG_REL}}}Relationship"):
        if rel.get("Type") == REL_WORKSHEET:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = str(PurePosixPath(path))
    ordered = []
    for sheet in workbook.iter(f"{{{NS_MAIN}}}sheet"):
        rel_id = sheet.get(f"{{{NS_REL}}}id")
        if rel_id in targets:
            ordered.append(targets[rel_id])
    return ordered


def macro_enable(xlsx: bytes, kind: str, custom_ui: str, bas: str) -> bytes:
    """An .xlsm or .xlam (``kind``) package from an .xlsx package, with ribbon and VBA project.

    Changes: the workbook's content type, the ``xl/vbaProject.bin`` part and its relationship,
    the ``customUI/customUI.xml`` part (``custom_ui``; for an .xlsm its :func:`template_ribbon`)
    and its package relationship, and code names on the workbook (``ThisWorkbook``) and
    worksheets (``Sheet1``..) matching the document modules.
    """
    if kind not in CT_MAIN:
        raise SopError(f"kind must be xlsm or xlam; got {show(kind)}")
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        infos = source.infolist()
        parts = {info.filename: source.read(info) for info in infos}
    for needed in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"):
        if needed not in parts:
            raise SopError(f"not an Excel workbook package: {needed} is missing")
    if "xl/vbaProject.bin" in parts or CUSTOMUI_PART in parts:
        raise SopError("the workbook already has a VBA project or a ribbon; start from an .xlsx")

    types = parts["[Content_Types].xml"].decode("utf-8")
    if CT_XLSX not in types:
        raise SopError(f"the workbook part must have the content type {CT_XLSX}")
    types = types.replace(CT_XLSX, CT_MAIN[kind])
    override = f'<Override PartName="/xl/vbaProject.bin" ContentType="{CT_VBA}"/>'
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()

    rels = parts["_rels/.rels"].decode("utf-8")
    parts["_rels/.rels"] = _add_relationship(rels, REL_CUSTOMUI, CUSTOMUI_PART).encode()
    wb_rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    wb_rels = _add_relationship(wb_rels, REL_VBA, "vbaProject.bin")
    parts["xl/_rels/workbook.xml.rels"] = wb_rels.encode()

    sheets = _sheet_parts(parts)
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    before = ("fileVersion", "fileSharing")  # schema order: these precede workbookPr
    workbook = _set_code_name(workbook, "workbookPr", "ThisWorkbook", before)
    parts["xl/workbook.xml"] = workbook.encode()
    for number, part in enumerate(sheets, start=1):
        xml = parts[part].decode("utf-8")
        parts[part] = _set_code_name(xml, "sheetPr", f"Sheet{number}").encode()
    for part in ["xl/workbook.xml", *sheets]:
        ElementTree.fromstring(parts[part])  # still well-formed

    modules = vba_modules(bas, len(sheets), addin=kind == "xlam")
    parts["xl/vbaProject.bin"] = vba_project_bin(modules, VBA_PROJECT_NAME, VBA_PROJECT_ID)
    ribbon = custom_ui if kind == "xlam" else template_ribbon(custom_ui)
    parts[CUSTOMUI_PART] = ribbon.encode("utf-8")

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        # [Content_Types].xml first, as Office writes it
        for name in ["[Content_Types].xml", *(n for n in parts if n != "[Content_Types].xml")]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, parts[name])
    return out.getvalue()


def read_vba(package: bytes) -> dict[str, str]:
    """``{module name: source}`` of a package's VBA project, as olevba extracts it."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser("package", data=package)
    try:
        if not parser.detect_vba_macros():
            return {}
        return {
            PurePosixPath(stream).name: code if isinstance(code, str) else code.decode("cp1252")
            for _, stream, _, code in parser.extract_all_macros()
        }
    finally:
        parser.close()


def verify(package: bytes, kind: str, bas: str) -> list[Button]:
    """Read a built package back; raise :class:`SopError` unless ribbon and VBA are complete.

    olevba must extract every module exactly as :func:`vba_modules` makes it from ``bas``, and
    every button of the ribbon part must reach a callback of the extracted ``SopRibbon``; the
    tab must carry the id and label of ``kind`` (:data:`TABS`).
    """
    with zipfile.ZipFile(io.BytesIO(package)) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    types = parts["[Content_Types].xml"].decode("utf-8")
    if CT_MAIN[kind] not in types or CT_VBA not in types:
        raise SopError(f"content types of the .{kind} are not macro-enabled")
    expected = vba_modules(bas, len(_sheet_parts(parts)), addin=kind == "xlam")
    found = read_vba(package)
    for module in expected:
        if found.get(module.name) != module.code:
            raise SopError(f"module {module.name} does not read back as written from the .{kind}")
    if sorted(found) != sorted(m.name for m in expected):
        raise SopError(f"unexpected VBA modules in the .{kind}; got {sorted(found)}")
    ribbon = parts[CUSTOMUI_PART].decode("utf-8")
    tabs = ElementTree.fromstring(ribbon).iter(f"{{{CUSTOMUI_NS}}}tab")
    expected = TABS[kind]
    if [(t.get("id"), t.get("label"), t.get("keytip")) for t in tabs] != [
        (expected.id, expected.label, expected.keytip)
    ]:
        raise SopError(f"the .{kind} must have the one tab {expected}")
    return buttons(ribbon, found["SopRibbon"])


def _addin_workbook() -> bytes:
    """The workbook inside the add-in: one sheet saying what it is."""
    from openpyxl import Workbook

    from sop_xl import __version__

    book = Workbook()
    sheet = book.active
    sheet.title = "About"
    sheet["A1"] = f"sop-xl {__version__}: the S&OP ribbon add-in"
    sheet["A2"] = "Buttons run the macros of the Python package sop_xl through xlwings."
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _template_workbook() -> bytes:
    from sop_xl.workbook import builder

    if builder.TEMPLATE_PATH.is_file():
        return builder.TEMPLATE_PATH.read_bytes()
    out = io.BytesIO()
    builder.build_template().save(out)
    return out.getvalue()


def macro_workbook(xlsx: bytes, ribbon_dir: Path = RIBBON_DIR) -> bytes:
    """An S&OP workbook (.xlsx bytes) as an .xlsm with the template's ribbon and VBA project.

    The xlwings module inside makes *Import Python UDFs* work in it, and its tab runs the
    macros on it; read back (:func:`verify`) before it is returned.
    """
    custom_ui, bas = read_ribbon(ribbon_dir)
    package = macro_enable(xlsx, "xlsm", custom_ui, bas)
    verify(package, "xlsm", bas)
    return package


def build_addin(out_dir: str | Path = "dist", ribbon_dir: Path = RIBBON_DIR) -> list[Path]:
    """Build ``sop_xl.xlam`` and ``sop_template.xlsm`` into ``out_dir``; return their paths.

    Both are built and read back in memory first; nothing is written unless both pass.
    """
    custom_ui, bas = read_ribbon(ribbon_dir)
    buttons(custom_ui, bas)  # the sources agree before anything is built
    packages = {
        ADDIN_NAME: macro_enable(_addin_workbook(), "xlam", custom_ui, bas),
        TEMPLATE_NAME: macro_enable(_template_workbook(), "xlsm", custom_ui, bas),
    }
    for name, package in packages.items():
        verify(package, name.rsplit(".", 1)[1], bas)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise SopError(f"--out must be a folder; got the file {out_dir}")
    written = []
    for name, package in packages.items():
        with atomic_path(out_dir / name) as tmp:
            tmp.write_bytes(package)
            tmp.chmod(0o644)  # a file to share, not a private temporary
        written.append(out_dir / name)
    return written


# --- what a button runs -----------------------------------------------------------------------


def xlwings_mismatch(vba_version: str, python_version: str | None = None) -> str | None:
    """One line saying how to rebuild, when the VBA's xlwings is not Python's; else None.

    >>> xlwings_mismatch("0.37.8", "0.37.8") is None
    True
    >>> print(xlwings_mismatch("0.37.8", "0.38.0"))  # doctest: +NORMALIZE_WHITESPACE
    sop-xl: this file's VBA comes from xlwings 0.37.8 but Python has xlwings 0.38.0:
    rebuild it with: sop-xl build-addin (then reinstall sop_xl.xlam, or use the new
    sop_template.xlsm)
    """
    if python_version is None:
        import xlwings

        python_version = xlwings.__version__
    if vba_version == python_version:
        return None
    return (
        f"sop-xl: this file's VBA comes from xlwings {vba_version} but Python has xlwings "
        f"{python_version}: rebuild it with: sop-xl build-addin (then reinstall "
        f"{ADDIN_NAME}, or use the new {TEMPLATE_NAME})"
    )


def run_button(macro: str, vba_version: str) -> None:
    """Run ``macro`` of :mod:`sop_xl.macros` for a ribbon button (``SopRibbon.bas``).

    ``vba_version`` is ``XLWINGS_VERSION`` of the xlwings VBA module in the calling file. When
    it is not the installed xlwings, nothing runs: one line goes to stderr, which xlwings shows
    in Excel, and Python exits with status 1 (RunPython's "failed").
    """
    problem = xlwings_mismatch(vba_version)  # before the macros' imports: it says what to do
    if problem is None:
        from sop_xl import macros

        if macro not in macros.MACROS:
            problem = f"sop-xl: no macro {show(macro)}; one of {', '.join(macros.MACROS)}"
    if problem is not None:
        print(problem, file=sys.stderr)
        raise SystemExit(1)
    getattr(macros, macro)()
