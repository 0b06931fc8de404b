"""The Excel files as a person opens them: each column wide enough for its heading and its
times (at Excel's default width a time reads ########), the heading row frozen while one
scrolls down a long list of evaluations. The CSV beside it, read as Python's csv module
reads it: BOM, CRLF, and no cell that runs as a formula."""
import csv
import io

from openpyxl import load_workbook

from app.services import feedback as feedback_service
from app.services.exports import xlsx_chunks
from tests.feedback_factories import answers, check_in, started_slots


def evaluated_event(db, make_event, make_registration):
    event = make_event(slots=started_slots())
    registration = make_registration(event)
    check_in(registration)
    feedback_service.submit(event, answers(1, comment='=HYPERLINK("http://x","点我")',
                                           wants_reply=True, contact="02157001234"),
                            registration=registration)
    feedback_service.submit(event, answers(4, comment="+86 讲解很好"))
    db.session.commit()
    return event


def test_the_evaluations_workbook_opens_readable(client, auth, db, make_event,
                                                 make_registration):
    event = evaluated_event(db, make_event, make_registration)
    auth.login("admin")
    response = client.get(f"/staff/events/{event.slug}/export/feedback.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.freeze_panes == "A2"
    widths = {name: sheet.column_dimensions[chr(ord("A") + i)].width
              for i, name in enumerate(header)}
    assert widths["提交时间"] >= 16  # "2026-11-30 14:07" whole, not ########
    assert widths["总体评价（分）"] >= 14  # seven Chinese characters, two units each
    assert all(8 <= width <= 50 for width in widths.values())
    # The comment that looks like a formula is text, as written.
    comments = [row[header.index("意见")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://x","点我")' in comments
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    data = client.get(f"/staff/events/{event.slug}/export/feedback.csv").get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    column = rows[0].index("意见")
    assert {rows[1][column], rows[2][column]} == {"'=HYPERLINK(\"http://x\",\"点我\")",
                                                   "'+86 讲解很好"}
    assert "'02157001234" in rows[1] + rows[2]  # the landline keeps its leading zero


def test_an_empty_export_still_has_its_headings_sized(app):
    chunks = b"".join(xlsx_chunks(["编号", "提交时间"], iter([]), title="评价"))
    sheet = load_workbook(io.BytesIO(chunks)).active
    assert [c.value for c in sheet[1]] == ["编号", "提交时间"]
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 10
