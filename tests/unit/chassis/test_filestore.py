"""The file store's look-up by relative path (signed results): nothing outside its root is ever served."""

from __future__ import annotations

from services.chassis.filestore import FileStore


def test_file_store_finds_files_by_relative_path_only_inside_its_root(tmp_path):
    store = FileStore(root=tmp_path / "files")
    (tmp_path / "files" / "results").mkdir(parents=True)
    (tmp_path / "files" / "results" / "ABC.pdf").write_bytes(b"%PDF")
    (tmp_path / "secret.txt").write_text("no")
    assert store.existing("results/ABC.pdf") == (tmp_path / "files" / "results" / "ABC.pdf").resolve()
    assert store.existing("results/missing.pdf") is None
    assert store.existing("../secret.txt") is None
    assert store.existing(str(tmp_path / "secret.txt")) is None  # an absolute path is not under the root


# -- PDFs that would run something on an officer's machine are refused, ordinary ones pass ---------------------
import io  # noqa: E402
import zlib  # noqa: E402

import pytest  # noqa: E402
from fpdf import FPDF  # noqa: E402

from services.chassis import pdfcheck  # noqa: E402
from services.chassis.filestore import UploadRefused  # noqa: E402

MINIMAL = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _ordinary_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="To khai JavaScript Launch <script> (words in the text are not actions)")
    return bytes(pdf.output())  # fpdf2 compresses its page content with Flate


def _object_stream_with(payload: bytes) -> bytes:
    body = zlib.compress(payload)
    return (
        b"%PDF-1.7\n1 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length "
        + str(len(body)).encode()
        + b">>stream\n"
        + body
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def test_ordinary_pdfs_pass():
    assert pdfcheck.problems(MINIMAL) == []
    assert pdfcheck.problems(_ordinary_pdf()) == []


@pytest.mark.parametrize(
    "data, expected",
    [
        (
            MINIMAL.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
            ["javascript"],
        ),
        (
            MINIMAL.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/J#61vaScript/J#53(x)>>"),
            ["javascript"],
        ),
        (
            MINIMAL.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/Launch/F(cmd.exe)>>"),
            ["launch_action"],
        ),
        (_object_stream_with(b"5 0 <</S/JavaScript/JS(app.alert(1))>>"), ["javascript"]),
        # The polyglot seen in testing: a %PDF- header, then an HTML page with script.
        (
            b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n",
            ["html_inside"],
        ),
    ],
)
def test_pdfs_with_actions_or_html_are_found(data, expected):
    assert pdfcheck.problems(data) == expected


def test_the_store_refuses_an_unsafe_pdf_and_keeps_nothing(tmp_path):
    store = FileStore(root=tmp_path / "files")
    bad = MINIMAL.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>")
    with pytest.raises(UploadRefused) as refused:
        store.receive(io.BytesIO(bad), "application/pdf")
    assert refused.value.code == "unsafe_pdf" and refused.value.details == {"found": ["javascript"]}
    assert store.files() == []
    assert store.receive(io.BytesIO(_ordinary_pdf()), "application/pdf").size_bytes > 0
