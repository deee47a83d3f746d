"""How the template looks: input cells like inputs, outputs like outputs, one format per kind.

Cell styles are registered as named styles (``SOP Input units``, ``SOP Output money``, ...), so
they show in Excel's Cell Styles gallery and a planner can format a new column the same way.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.workbook import Workbook

from sop_xl.workbook.schema import Kind, Role

NUMBER_FORMATS: dict[str, str] = {
    "text": "@",
    "units": "#,##0",
    "number": "#,##0.0",
    "decimal": "#,##0.000",
    "money": "#,##0",
    "price": "#,##0.00",
    "percent": "0.0%",
    "days": "0",
    "date": "yyyy-mm-dd",
    "period": "yyyy-mm",
}

# colours: Excel's own convention, input = light yellow with dark blue text, output = grey
INPUT_FILL = "FFF7D6"
INPUT_FONT = "1F3864"
OUTPUT_FILL = "F2F2F2"
OUTPUT_FONT = "262626"
INPUT_HEADER = "2F5597"
OUTPUT_HEADER = "548235"
TITLE_FONT = "1F3864"
GRID = "D9D9D9"

RED_FILL = "F8CBAD"
RED_FONT = "9C0006"
AMBER_FILL = "FFE699"
AMBER_FONT = "7F6000"
GREEN_FILL = "C6EFCE"
GREEN_FONT = "006100"

_thin = Side(style="thin", color=GRID)
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)


def style_name(role: Role, kind: Kind) -> str:
    """Name of the named style of a data cell.

    >>> style_name("input", "units")
    'SOP Input units'
    """
    return f"SOP {role.capitalize()} {kind}"


def header_style_name(role: Role) -> str:
    """Name of the named style of a table header cell."""
    return f"SOP {role.capitalize()} header"


def _data_style(role: Role, kind: Kind) -> NamedStyle:
    fill, color = (INPUT_FILL, INPUT_FONT) if role == "input" else (OUTPUT_FILL, OUTPUT_FONT)
    # text cells keep the General format so numbers typed into them stay numbers
    fmt = "General" if kind == "text" else NUMBER_FORMATS[kind]
    horizontal = "left" if kind in ("text",) else None
    return NamedStyle(
        name=style_name(role, kind),
        font=Font(name="Calibri", size=10, color=color),
        fill=PatternFill("solid", fgColor=fill),
        border=BORDER,
        number_format=fmt,
        # an indent keeps text off the numbers in the column before it
        alignment=Alignment(
            horizontal=horizontal, vertical="center", indent=1 if horizontal else 0
        ),
    )


def _header_style(role: Role) -> NamedStyle:
    color = INPUT_HEADER if role == "input" else OUTPUT_HEADER
    return NamedStyle(
        name=header_style_name(role),
        font=Font(name="Calibri", size=10, bold=True, color="FFFFFF"),
        fill=PatternFill("solid", fgColor=color),
        border=BORDER,
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    )


def _extra_styles() -> list[NamedStyle]:
    return [
        NamedStyle(
            name="SOP Title", font=Font(name="Calibri", size=16, bold=True, color=TITLE_FONT)
        ),
        NamedStyle(
            name="SOP Subtitle", font=Font(name="Calibri", size=10, italic=True, color="595959")
        ),
        NamedStyle(
            name="SOP Label",
            font=Font(name="Calibri", size=10, bold=True, color=TITLE_FONT),
            alignment=Alignment(vertical="top"),
        ),
        NamedStyle(
            name="SOP Note",
            font=Font(name="Calibri", size=10, color="404040"),
            alignment=Alignment(vertical="top", wrap_text=True),
        ),
        NamedStyle(
            name="SOP Total",
            font=Font(name="Calibri", size=10, bold=True, color=TITLE_FONT),
            border=Border(bottom=Side(style="medium", color=TITLE_FONT)),
            number_format="#,##0",
        ),
    ]


def register_styles(wb: Workbook) -> None:
    """Add every SOP named style to ``wb`` (idempotent)."""
    have = set(wb.named_styles)
    styles: list[NamedStyle] = []
    for role in ("input", "output"):
        styles.append(_header_style(role))  # type: ignore[arg-type]
        styles.extend(_data_style(role, kind) for kind in NUMBER_FORMATS)  # type: ignore[arg-type]
    styles.extend(_extra_styles())
    for style in styles:
        if style.name not in have:
            wb.add_named_style(style)
