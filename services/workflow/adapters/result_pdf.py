"""The result document's public face as a PDF (fpdf2, DejaVu for Vietnamese text) with a QR code (segno) that
points to the public verification page: a dict in, PDF bytes out. No ID numbers are printed. An adapter: it reads
the fonts from MOTCUA_FONT_DIR (default Debian's DejaVu)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import segno
from fpdf import FPDF

FONT_DIR = Path(os.environ.get("MOTCUA_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))


def render(result: dict, verify_url: str) -> bytes:
    """`result`: dossier_code, title, issuer_name, issued_on, expires_on, verification_code."""
    pdf = FPDF(format="A4")
    pdf.set_creator("MotCua")
    pdf.set_title(result["title"])
    pdf.set_subject(f"motcua-verification:{result['verification_code']}")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 7, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(0, 7, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, result["title"].upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 11)
    lines = [
        ("Cơ quan cấp / Issuer", result["issuer_name"]),
        ("Mã hồ sơ / Dossier", result["dossier_code"]),
        ("Ngày cấp / Issued on", result["issued_on"]),
        ("Hiệu lực đến / Valid until", result.get("expires_on") or "Không thời hạn / No expiry"),
        ("Mã xác thực / Verification code", result["verification_code"]),
    ]
    for label, value in lines:
        pdf.cell(70, 8, label)
        pdf.cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    pdf.image(qr, x=pdf.l_margin, w=35)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Tra cứu tính hợp lệ của văn bản điện tử này tại / Verify this electronic document at: " + verify_url,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
