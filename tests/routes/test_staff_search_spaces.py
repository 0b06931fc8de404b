"""A name is found with or without the spaces someone typed into it: on the registration
form ("李 四") or in the search box, in the registrations list and at the door."""
import pytest


@pytest.mark.parametrize("stored, typed", [("李 四", "李四"), ("李四", "李 四"),
                                           ("欧阳\u3000娜娜", "欧阳娜娜"), ("Wang Fang", "WangFang")])
def test_a_name_is_found_whatever_its_spaces(client, auth, make_event, make_registration,
                                             stored, typed):
    event = make_event()
    ticket = make_registration(event, name=stored, phone="13912345678")
    make_registration(event, name="赵六", phone="13887654321")
    auth.login()
    page = client.get(f"/staff/events/{event.slug}/registrations", query_string={"q": typed})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and ticket.ticket_number in text and "赵六" not in text
    found = client.get(f"/api/events/{event.slug}/search", query_string={"q": typed}).get_json()
    assert [row["ticket_number"] for row in found["results"]] == [ticket.ticket_number]
