"""Exports: the one place that knows CSV and XLSX.

Controllers only build a header and an iterable of rows (indico's ``util/spreadsheets.py``
habit); ``csv_chunks`` / ``xlsx_chunks`` turn them into bytes, a chunk at a time, so a
response streams and memory stays flat however many rows there are. Row builders below read
the database with ``yield_per`` (server-side cursors on PostgreSQL).

CSV (CONTRACT §5): UTF-8 with a byte order mark (Excel and WPS then read Chinese right), a
header row, RFC 4180 quoting, CRLF line ends, and no cell that a spreadsheet would run as a
formula: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
begins with ``'`` instead (OWASP's CSV-injection advice). So does a text that Excel would
read as a number and show otherwise than written: a landline left for a reply loses its
leading zero (02157001234 → 2157001234), a long number turns into 8.61391E+12. Excel and
WPS in a Chinese locale fold full-width forms to ASCII as they read a cell (＝1+1 runs as
=1+1, ０２１… is a number), so a text's start is judged as they read it (NFKC).

XLSX: openpyxl's write-only mode; every text cell is typed as a string so a value such as
``=HYPERLINK(...)`` is kept as text and never becomes a formula.
"""
import csv
import io
import json
import os
import re
import tempfile
import unicodedata
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Text, cast, func, select

from app import labels
from app.extensions import db
from app.labels import in_chinese
from app.models import CheckIn, Event, Feedback, FollowUp, Registration, Slot
from app.models.feedback import OVERALL_LEVELS
from app.services.privacy import is_stand_in

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot hold these control characters; openpyxl refuses them (tab, LF, CR are fine).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CHUNK_ROWS = 500
YIELD_PER = 2000
BOM = "\ufeff"


FORMULA_SET = frozenset(FORMULA_STARTS)
# Texts Excel would take for a number it shows differently: a leading zero (dropped), more
# than 11 digits (scientific notation, and past 15 digits rounded), an exponent (a ticket
# number such as "2345E234"). Their first character is a digit, which is checked first.
_READ_AS_ANOTHER_NUMBER = re.compile(r"0\d+|\d{12,}|\d+(?:\.\d*)?[eE][+-]?\d+")
DIGITS = frozenset("0123456789")


def _needs_quote(text):
    first = text[0]
    if first >= "\x80":  # most Chinese texts: one character folded, nothing more
        folded = unicodedata.normalize("NFKC", first)
        if folded == first or not folded:
            return False
        first = folded[0]
        if first in DIGITS:
            text = unicodedata.normalize("NFKC", text)
    return first in FORMULA_SET or (
        first in DIGITS and _READ_AS_ANOTHER_NUMBER.fullmatch(text) is not None)


def _text(value, tz=None):
    if value is None:
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, datetime):
        return value.astimezone(tz or _tz()).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _tz():
    return ZoneInfo(current_app.config["TIMEZONE"])


def safe_cell(value):
    """A CSV cell as text that no spreadsheet runs as a formula, nor reads as another
    number than the one written."""
    text = _text(value)
    if text and _needs_quote(text):
        return "'" + text
    return text


def _cell_formatter():
    """``safe_cell`` with fast paths for the common types (an export formats millions of
    cells); the time zone is looked up once."""
    tz = _tz()

    def cell(value):
        kind = type(value)
        if kind is str:
            return "'" + value if value and _needs_quote(value) else value
        if value is None:
            return ""
        if kind is int:
            return str(value) if value >= 0 else "'" + str(value)
        if kind is datetime:
            # isoformat is quicker than strftime: "YYYY-MM-DD HH:MM"
            return value.astimezone(tz).isoformat(" ", "minutes")[:16]
        text = _text(value, tz)
        return "'" + text if text and _needs_quote(text) else text

    return cell


def csv_chunks(header, rows, chunk_rows=CHUNK_ROWS):
    """Yield the CSV as UTF-8 bytes: BOM and header first, then ``chunk_rows`` rows a time."""
    cell = _cell_formatter()
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write(BOM)
    writer.writerow(map(cell, header))
    pending = 0
    for row in rows:
        writer.writerow(map(cell, row))
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def _xlsx_value(value, sheet):
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    # XML turns a bare CR into LF on reading anyway; Excel breaks lines in a cell with LF.
    text = _XML_ILLEGAL.sub("", _text(value)).replace("\r\n", "\n").replace("\r", "\n")
    if not text.startswith("="):
        return text  # openpyxl stores any other string as text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # text, never a formula
    return cell


EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's serial dates (from March 1900 on)
DAY = timedelta(days=1)


def _xlsx_formatter(sheet):
    """``_xlsx_value`` for one sheet's rows, where a time or a date becomes a date that Excel
    can sort, filter by month and subtract (a text could not), in local time as in the CSV
    (Excel has no time zones) and shown as the CSV writes it. Each column reuses one styled
    cell from row to row (openpyxl writes a row before the next is appended): a styled cell
    made per value, or a datetime left to openpyxl to convert, is slower."""
    from openpyxl.cell import WriteOnlyCell

    tz = _tz()
    styled = {}

    def dated(column, serial, number_format):
        cell = styled.get(column)
        if cell is None or cell.number_format != number_format:
            cell = styled[column] = WriteOnlyCell(sheet)
            cell.number_format = number_format
        cell.value = serial
        return cell

    def value(v, column):
        if not isinstance(v, date):  # most cells
            return _xlsx_value(v, sheet)
        if isinstance(v, datetime):
            local = v.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
            return dated(column, (local - EXCEL_EPOCH) / DAY, "yyyy-mm-dd hh:mm")
        return dated(column, (v - EXCEL_EPOCH.date()).days, "yyyy-mm-dd")

    return value


# Column widths in Excel's units (about one Latin character; a Chinese one takes two).
COLUMN_MIN, COLUMN_MAX = 8, 50
DATETIME_WIDTH, DATE_WIDTH = 18, 12  # "2026-06-28 09:30" and "2026-06-28", with a margin


def _shown_width(value):
    if isinstance(value, datetime):
        return DATETIME_WIDTH
    if isinstance(value, date):
        return DATE_WIDTH
    text = _text(value)
    if "\n" in text:
        text = max(text.split("\n"), key=len)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text) + 2


def _set_columns(sheet, header, first_row):
    """Each column as wide as its heading and the first row's value (within COLUMN_MIN and
    COLUMN_MAX), and the heading row frozen. Excel and WPS open a file at their default
    width of 8.43: a time there reads ########, and a heading such as 总体评价（分） is cut.
    The file streams, so the first row stands for the others."""
    from openpyxl.utils import get_column_letter

    first_row = list(first_row) if first_row is not None else []
    for index, heading in enumerate(header):
        width = _shown_width(heading)
        if index < len(first_row) and first_row[index] is not None:
            width = max(width, _shown_width(first_row[index]))
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(
            max(width, COLUMN_MIN), COLUMN_MAX)
    sheet.freeze_panes = "A2"


def xlsx_chunks(header, rows, title="Sheet1", chunk_bytes=64 * 1024):
    """Yield an .xlsx file's bytes. openpyxl's write-only workbook writes rows to disk as
    they come; the finished file is then read back in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    value = _xlsx_formatter(sheet)
    rows = iter(rows)
    first = next(rows, None)
    _set_columns(sheet, header, first)
    sheet.append([_xlsx_value(h, sheet) for h in header])
    if first is not None:
        sheet.append([value(v, column) for column, v in enumerate(first)])
    for row in rows:
        sheet.append([value(v, column) for column, v in enumerate(row)])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while chunk := file.read(chunk_bytes):
                yield chunk
    finally:
        os.unlink(path)


def render(fmt, header, rows, title="Sheet1"):
    """The chunks of ``header`` + ``rows`` as ``csv`` or ``xlsx``."""
    if fmt == "xlsx":
        return xlsx_chunks(header, rows, title=title)
    return csv_chunks(header, rows)


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _stream(query):
    """Rows of a Core query, fetched in batches (a server-side cursor on PostgreSQL), on a
    connection of their own. Core, not the ORM: plain tuples are what a writer needs, and a
    third quicker. An export is a GET, so on SQLite it reads in a deferred transaction and
    never holds the write lock (app/database.py): registrations go on beside it."""
    with db.engine.connect() as connection:
        yield from connection.execute(query.execution_options(yield_per=YIELD_PER))


# ---- row builders: each returns (header, rows iterable) --------------------------------



def registration_rows(event):
    """Everyone registered for the event, with their check-in; a volunteer drive adds the
    application's fields and the hours served (``reports.volunteer_hours``)."""
    from app.services.reports import volunteer_hours

    volunteer = event.kind == "volunteer"
    header = ["票号", "场次", "开始时间", "姓名", "手机号", "电子邮箱", "人数", "状态", "来源",
              "报名时间", "签到时间", "签到入口", "签退时间"]
    columns = [Registration.ticket_number, Slot.label, Slot.starts_at, Registration.name,
               Registration.phone, Registration.email, Registration.party_size,
               Registration.status, Registration.source, Registration.created_at,
               CheckIn.checked_in_at, CheckIn.gate, CheckIn.checked_out_at]
    if volunteer:
        from app.services.volunteers import counting_starts

        header += ["年龄段", "单位", "服务时长（小时）"]
        columns += [Registration.age_group, Registration.organisation, Registration.slot_id,
                    Slot.ends_at, CheckIn.extended_until]
        # Per shift, not per row: an event has a handful of shifts and thousands of rows.
        counts_from = {slot.id: counting_starts(event, slot) for slot in event.slots}
    query = (
        select(*columns)
        .join(Slot, Slot.id == Registration.slot_id)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(Registration.event_id == event.id)
        .order_by(Slot.starts_at, Registration.id)
    )
    statuses = in_chinese(labels.REGISTRATION_STATUS)
    sources = in_chinese(labels.REGISTRATION_SOURCE)

    def rows():
        for row in _stream(query):
            row = list(row)
            row[7] = statuses.get(row[7], row[7])
            row[8] = sources.get(row[8], row[8])
            if is_stand_in(row[4]):  # a purged volunteer's stand-in is no phone number
                row[4] = ""
            if volunteer:
                extended, ends_at, slot_id = row.pop(), row.pop(), row.pop()  # the last three
                row.append(round(volunteer_hours(row[10], row[12], ends_at, extended,
                                                 counts_from.get(slot_id)), 2)
                           if row[12] else "")  # hours count once checked out
            yield row

    return header, rows()


def feedback_header(topics):
    return (["编号", "提交时间", "场次", "来源", "总体评价", "总体评价（分）"]
            + [f"{t}（分）" for t in topics]
            + ["意见", "建议", "是否愿意再来", "联系方式", "跟进状态"])


def feedback_rows(event, query_filter=None):
    topics = list(event.feedback_topics or [])
    header = feedback_header(topics)
    # The ratings come as JSON text and are decoded once per distinct value: with a few
    # topics on a 4-level scale there are few distinct answers, and parsing JSON per row
    # would be a third of the export's time. (SQLite before 3.42 cannot json_extract a
    # key stored with \u escapes, so the database cannot do it for us everywhere.)
    query = (
        select(Feedback.id, Feedback.created_at, Slot.label, Feedback.registration_id,
               Feedback.overall, Feedback.comment, Feedback.suggestions,
               Feedback.come_again, Feedback.contact, FollowUp.status,
               cast(Feedback.topic_ratings, Text))
        .outerjoin(Slot, Slot.id == Feedback.slot_id)
        .outerjoin(FollowUp, FollowUp.feedback_id == Feedback.id)
        .where(Feedback.event_id == event.id)
        .order_by(Feedback.id)
    )
    if query_filter is not None:
        query = query.where(query_filter)
    follow_labels = {"open": "待跟进", "closed": "已办结", None: ""}

    cache = {}  # this export's distinct answers, bounded below

    def ratings_of(raw):
        values = cache.get(raw)
        if values is None:
            decoded = json.loads(raw) if raw else {}
            decoded = decoded if isinstance(decoded, dict) else {}
            values = tuple(decoded.get(t, "") for t in topics)
            if len(cache) < 4096:
                cache[raw] = values
        return values

    def rows():
        for (fid, created, slot_label, reg_id, overall, comment, suggestions, come_again,
             contact, follow_status, raw_ratings) in _stream(query):
            yield ([fid, created, slot_label or "", "票" if reg_id else "现场扫码",
                    OVERALL_LEVELS.get(overall, ""), overall, *ratings_of(raw_ratings),
                    comment, suggestions, "" if come_again is None else ("是" if come_again else "否"),
                    contact, follow_labels.get(follow_status, follow_status)])

    return header, rows()


def follow_up_rows(event=None):
    header = ["编号", "活动", "评价编号", "总体评价", "意见", "联系方式", "状态", "办理期限",
              "是否逾期", "办理情况", "办结时间"]
    query = (
        select(FollowUp.id, Event.title, Feedback.id, Feedback.overall, Feedback.comment,
               Feedback.contact, FollowUp.status, FollowUp.due_on, FollowUp.action_note,
               FollowUp.closed_at)
        .join(Feedback, Feedback.id == FollowUp.feedback_id)
        .join(Event, Event.id == FollowUp.event_id)
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    if event is not None:
        query = query.where(FollowUp.event_id == event.id)

    def rows():
        from app.services.feedback import local_today, overdue

        today = local_today()
        for (fid, title, feedback_id, overall, comment, contact, status, due_on, note,
             closed_at) in _stream(query):
            yield [fid, title, feedback_id, OVERALL_LEVELS.get(overall, ""), comment, contact,
                   "已办结" if status == "closed" else "待办理", due_on,
                   overdue(status, due_on, closed_at, today), note, closed_at]

    return header, rows()


def count_rows(model, event=None):
    """How many records an export of ``model`` (one event's, or all) takes out: the audit
    log says so. Counted before the stream starts, as the audit row is written first."""
    query = select(func.count()).select_from(model)
    if event is not None:
        query = query.where(model.event_id == event.id)
    return db.session.execute(query).scalar_one()
