"""The accounts list's 状态 column said "启用" for an account in use: the same word as the
button that switches an account back on, so in English the state read "Enable", a command
beside the 停用/Disable button, not the state it is in."""
import re


def _states(page):
    return re.findall(r'class="account-state">([^<]*)<', page)


def test_the_state_column_names_a_state_not_the_button(client, auth, make_staff):
    auth.login("admin")
    door = make_staff("door1", "staff")
    # Its id, not 2: PostgreSQL's sequences do not start again for each test.
    client.post(f"/staff/accounts/{door.id}/deactivate")
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert _states(page) == ["已启用", "已停用"]
    english = client.get("/staff/accounts?lang=en").get_data(as_text=True)
    assert "Enable" not in _states(english)
    assert re.search(r'type="submit">\s*Enable\s*<', english)  # the button keeps its word
