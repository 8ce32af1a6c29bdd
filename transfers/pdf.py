"""The printed manifest as a PDF on A4, laid out like the national hazardous waste transfer manifest:
the consignor's, the carrier's and the receiver's sections, each signed with a name and a time.

Chinese text uses ReportLab's built-in CID font (STSong-Light, from Adobe's Asian font packs that PDF
readers carry), so the server needs no font files and the PDF stays small. The labels are the same
translations the HTML copy uses, so the PDF reads in the language of whoever prints it.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Manifest, ManifestEvent

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TEXT = ParagraphStyle("text", fontName=FONT, fontSize=8.5, leading=11)
LABEL = ParagraphStyle("label", parent=TEXT, textColor=colors.HexColor("#333333"))
TITLE = ParagraphStyle("title", parent=TEXT, fontSize=15, leading=19, alignment=TA_CENTER)
SECTION = ParagraphStyle("section", parent=TEXT, fontSize=9.5, leading=12)
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
)
WIDTH = A4[0] - 24 * mm


class _QRCode(Flowable):
    """The verification QR code, drawn as vector squares from segno's matrix."""

    def __init__(self, qr, size: float):
        super().__init__()
        self.qr, self.size = qr, size
        self.width = self.height = size

    def draw(self) -> None:
        matrix = list(self.qr.matrix_iter(border=2))
        cell = self.size / len(matrix)
        drawing = Drawing(self.size, self.size)
        for row, cells in enumerate(matrix):
            for column, dark in enumerate(cells):
                if dark:
                    y = self.size - (row + 1) * cell
                    drawing.add(Rect(column * cell, y, cell, cell, fillColor=colors.black, strokeColor=None))
        renderPDF.draw(drawing, self.canv, 0, 0)


def _p(value, style: ParagraphStyle = TEXT) -> Paragraph:
    return Paragraph(escape(str(value if value not in (None, "") else "—")).replace("\n", "<br/>"), style)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment else ""


def _signature(event: ManifestEvent | None) -> str:
    if event is None:
        return ""
    return f"{event.signer_name or event.actor.get_full_name()} ({event.get_role_display()}) · {_when(event.at)}"


def _party_rows(enterprise, extra: list[tuple[str, object]]) -> list[list]:
    """The party's identity and contacts, then its own fields: two label/value pairs a row."""
    pairs = [
        (_("Name"), enterprise.name),
        (_("Unified social credit code"), enterprise.credit_code),
        (_("Address"), enterprise.address),
        (_("Contact person"), enterprise.contact_name),
        (_("Emergency contact phone"), enterprise.contact_phone),
        *extra,
    ]
    rows = [
        [_p(pairs[i][0], LABEL), _p(pairs[i][1]), _p(pairs[i + 1][0], LABEL), _p(pairs[i + 1][1])]
        for i in range(0, len(pairs) - 1, 2)
    ]
    if len(pairs) % 2:  # the last field alone on its row
        rows.append([_p(pairs[-1][0], LABEL), _p(pairs[-1][1]), "", ""])
    return rows


def _section(title: str, rows: list[list]) -> Table:
    widths = [28 * mm, WIDTH / 2 - 28 * mm, 28 * mm, WIDTH / 2 - 28 * mm]
    table = Table([[_p(title, SECTION), "", "", ""], *rows], colWidths=widths)
    table.setStyle(GRID)
    table.setStyle(TableStyle([("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]))
    return table


def _lines_table(context: dict) -> Table:
    header = [
        _("Line"),
        _("Waste code"),
        _("Waste name"),
        _("Hazard characteristics"),
        _("Physical form"),
        _("Packaging"),
        _("Number of packages"),
        _("Declared (t)"),
        pgettext("weighed at the gate", "Received (t)"),
    ]
    rows = [[_p(text, LABEL) for text in header]]
    for line in context["lines"]:
        code = line.waste_code
        rows.append(
            [
                _p(line.line_no),
                _p(code.code),
                _p(code.name[:80]),
                _p(line.hazard or code.hazard),
                _p(line.get_physical_form_display()),
                _p(line.get_packaging_type_display()),
                _p(line.packaging_count),
                _p(line.declared_quantity_t),
                _p(line.received_quantity_t),
            ]
        )
    widths = [12 * mm, 20 * mm, 44 * mm, 16 * mm, 16 * mm, 20 * mm, 16 * mm, 22 * mm, 22 * mm]
    widths[2] += WIDTH - sum(widths)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return table


def render_manifest_pdf(context: dict) -> bytes:
    """The print copy of `context` (transfers.views.printing.print_context) as PDF bytes."""
    manifest: Manifest = context["manifest"]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{_('Hazardous waste transfer manifest')} {manifest.number or ''}",
    )
    head = [
        _p(_("Hazardous waste transfer manifest"), TITLE),
        _p(f"{_('Manifest number')}: {manifest.number or '—'}"),
        _p(f"{_('Status')}: {manifest.get_status_display()}"),
        _p(f"{manifest.get_waste_class_display()} · {manifest.get_purpose_display()}"),
    ]
    if manifest.status == "draft":
        head.append(_p(_("Draft: not a valid manifest.")))
    if manifest.is_cross_province:
        approval = manifest.approval.number if manifest.approval else "—"
        head.append(_p(f"{_('Cross-province transfer approval')}: {approval}"))
    header = Table([[head, _QRCode(context["qr"], 28 * mm)]], colWidths=[WIDTH - 32 * mm, 32 * mm])
    story: list = [header, Spacer(0, 3 * mm)]

    consignor = _party_rows(
        manifest.consignor,
        [
            (_("Handled and signed by"), _signature(context["consignor_signature"])),
            (_("Planned date"), date_format(manifest.planned_date, "Y-m-d")),
        ],
    )
    story += [_section(_("Part 1: consignor (filled in by the consignor)"), consignor), Spacer(0, 2 * mm)]
    story += [_lines_table(context), Spacer(0, 2 * mm)]
    measures = Table(
        [[_p(_("Precautions and emergency measures"), LABEL), _p(manifest.emergency_measures)]],
        colWidths=[40 * mm, WIDTH - 40 * mm],
    )
    measures.setStyle(GRID)
    story += [measures, Spacer(0, 3 * mm)]

    driver = manifest.driver
    carrier = _party_rows(
        manifest.carrier,
        [
            (_("Road transport permit number"), context["road_permit_number"]),
            (_("Vehicle plate"), manifest.vehicle_plate),
            (_("Driver"), driver.get_full_name() if driver else ""),
            (_("Driver's phone"), driver.phone if driver else ""),
            (_("Signed for the load"), _signature(context["carrier_signature"])),
        ],
    )
    story += [_section(_("Part 2: transport (filled in by the carrier)"), carrier), Spacer(0, 3 * mm)]

    treatments = "; ".join(
        f"{line.line_no}: {line.treatment_method} {line.treated_quantity_t} t"
        for line in context["lines"]
        if line.treatment_method
    )
    acceptance = "; ".join(
        f"{line.line_no}: {line.get_acceptance_display()}{' ⚠' if line.is_discrepancy else ''}"
        for line in context["lines"]
        if line.acceptance
    )
    receiver = _party_rows(
        manifest.receiver,
        [
            (_("Hazardous waste operating licence number"), context["receiver_licence_number"]),
            (
                pgettext("weighed at the gate", "Received (t)"),
                context["received_total"] if manifest.received_at else "",
            ),
            (_("Acceptance"), acceptance),
            (
                _("Significant discrepancy"),
                _("Yes") if manifest.has_discrepancy else (_("No") if manifest.received_at else ""),
            ),
            (_("Utilization or disposal method"), treatments),
            (_("Received and signed by"), _signature(context["receiver_signature"])),
            (_("Treatment recorded by"), _signature(context["treatment_signature"])),
        ],
    )
    story += [_section(_("Part 3: receiver (filled in by the receiver)"), receiver), Spacer(0, 3 * mm)]
    story.append(_p(f"{_('Verify this copy at')} {context['verify_url']}", LABEL))
    document.build(story)
    return buffer.getvalue()
