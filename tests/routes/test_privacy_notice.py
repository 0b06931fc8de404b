"""The privacy notice names every kind of personal data a citizen may leave with us."""


def test_the_notice_names_the_evaluation_and_its_reply_contact(client):
    """The evaluation form asks for a contact (phone or e-mail) for a reply: the notice must
    say it is collected and why, as it does for the registration's fields."""
    page = client.get("/privacy").get_data(as_text=True)
    assert "电子邮箱（选填）" in page  # the list of data kinds is on the page
    assert "评价时填写的意见和联系方式（选填）：改进工作，回复您的意见。" in page
