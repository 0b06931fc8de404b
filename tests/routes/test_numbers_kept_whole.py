"""The example phone number in the form's hint and error stays on one line: in large text
(大字版) a line broke inside 139 0000 1111 and left "139" alone at a line's end."""
NBSP = "\u00a0"


def test_the_example_phone_number_never_breaks(client, make_event):
    make_event()
    page = client.get("/events/test-open-day/register").get_data(as_text=True)
    assert f"例如 139{NBSP}0000{NBSP}1111。" in page
    response = client.post("/events/test-open-day/register", data={
        "slot": "am", "name": "王秀英", "phone": "139 0000", "party_size": "1", "consent": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"请输入 11 位中国大陆手机号码，例如 139{NBSP}0000{NBSP}1111。" in page
    # What was typed is given back as typed, spaces and all.
    assert 'value="139 0000"' in page


def test_only_spaces_between_digits_change():
    from markupsafe import Markup

    from app.services.text import keep_numbers_whole

    assert keep_numbers_whole("例如 139 0000 1111。") == f"例如 139{NBSP}0000{NBSP}1111。"
    assert keep_numbers_whole("Call 021 5770 0000 now") == f"Call 021{NBSP}5770{NBSP}0000 now"
    kept = keep_numbers_whole(Markup("<b>1 2</b>"))  # a template's own words stay markup
    assert isinstance(kept, Markup) and kept == Markup(f"<b>1{NBSP}2</b>")
    assert keep_numbers_whole("<b>1 2</b>") == f"<b>1{NBSP}2</b>"  # typed text: escaped later
