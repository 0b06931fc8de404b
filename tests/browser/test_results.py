"""Chromium: the results page draws its charts (server-rendered SVG) at desktop size, and
the evaluation form and the poster at phone size. Screenshots go to docs/screenshots/."""
from app.services import feedback as feedback_service
from tests.conftest import ADMIN_PASSWORD, SCREENSHOTS
from tests.feedback_factories import answers, check_in, started_slots


def seed(db, make_event, make_registration):
    event = make_event(slug="energy-week", title="公共机构节能宣传周开放日",
                       slots=started_slots(hours_ago=3, capacity=100))  # ended: reported
    levels = [4] * 9 + [3] * 6 + [2] * 3 + [1] * 2
    comments = ["讲解员很专业，光伏屋顶很震撼", "", "希望增加停车位", "", "食堂光盘行动值得推广",
                "排队时间有点长"]
    for i, level in enumerate(levels):
        registration = make_registration(event)
        check_in(registration)
        feedback_service.submit(event, answers(
            level, {"公共机构节能": max(1, level - i % 2), "垃圾分类": level,
                    "食堂餐饮节约": 4 - i % 3},
            comment=comments[i % len(comments)], come_again=i % 4 != 0), registration=registration)
    for _ in range(5):
        check_in(make_registration(event))
    db.session.commit()
    return event.slug


def test_results_page_draws_the_charts(live_server, desktop_page, db, make_event,
                                       make_registration, make_staff):
    slug = seed(db, make_event, make_registration)
    make_staff("admin", "admin")
    db.session.remove()  # the server thread writes (login): hold no SQLite lock here
    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/staff/login" not in url)  # the staff home, wherever it is
    page.goto(f"{live_server}/staff/events/{slug}/results")

    charts = page.locator("svg.chart")
    assert charts.count() == 5  # overall, three topics, come again
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 60
    # The bars are drawn: the 非常满意 bar of the overall question is wider than 不满意's.
    overall = charts.first
    best = overall.locator("rect.chart-bar-level-4").bounding_box()
    worst = overall.locator("rect.chart-bar-level-1").bounding_box()
    assert best["width"] > worst["width"] > 0
    colour = overall.locator("rect.chart-bar-level-4").evaluate("el => getComputedStyle(el).fill")
    assert colour == "rgb(15, 107, 47)"  # the stylesheet is applied (no inline styles: CSP)
    assert page.locator("#kpi-satisfaction").inner_text() == "90.0%"
    assert page.locator("#kpi-response-rate").inner_text() == "80.0%"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "results.png"), full_page=True)

    # In English the scale's labels are longer ("Fairly satisfied"): none is cut at the
    # chart's left edge.
    page.goto(f"{live_server}/staff/events/{slug}/results?lang=en")
    assert "Fairly satisfied" in page.locator("svg.chart").first.inner_html()
    for i in range(page.locator("svg.chart").count()):
        chart = page.locator("svg.chart").nth(i)
        edge = chart.bounding_box()
        labels = chart.locator("text.chart-label")
        for n in range(labels.count()):
            box = labels.nth(n).bounding_box()
            assert box["x"] >= edge["x"] - 0.5, (labels.nth(n).inner_html(), box, edge)
    # On a phone the page does not scroll sideways: the charts take one column.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/staff/events/{slug}/results")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_feedback_form_and_poster_on_a_phone(live_server, phone_page, db, make_event):
    slug = make_event(slug="energy-week", title="公共机构节能宣传周开放日",
                      slots=started_slots()).slug
    db.session.remove()
    page = phone_page
    page.goto(f"{live_server}/events/{slug}/feedback")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    radio = page.locator("input[name=overall]").first.bounding_box()
    label = page.locator("label[for=overall-0]").bounding_box()
    assert label["height"] >= 44  # a big target for an elderly thumb
    assert radio["width"] >= 24
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "feedback-form.png"), full_page=True)
    page.click("label[for=overall-1]")  # 满意
    page.fill("textarea[name=comment]", "讲解很清楚，希望多办几次。")
    # Halfway through, the large-text switch: what was chosen and written stays.
    page.get_by_role("button", name="大字版").click()
    page.wait_for_load_state("load")
    assert page.locator("#overall-1").is_checked()
    assert page.locator("textarea[name=comment]").input_value() == "讲解很清楚，希望多办几次。"
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/events/{slug}/feedback/thanks")
    assert "感谢您的评价" in page.inner_text("h1")

    page.goto(f"{live_server}/events/{slug}/poster")
    qr = page.locator("img.poster-qr")
    assert qr.evaluate("img => img.naturalWidth") > 100  # the QR image loaded
    page.screenshot(path=str(SCREENSHOTS / "poster-phone.png"), full_page=True)


def pdf_pages(pdf):
    import re

    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_poster_prints_on_one_a4_page(live_server, browser, db, make_event):
    slug = make_event(slug="energy-week", title="公共机构节能宣传周开放日").slug
    db.session.remove()
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/events/{slug}/poster")
        page.wait_for_function("document.querySelector('img.poster-qr').naturalWidth > 0")
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf_pages(pdf) == 1
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible()  # only the poster is printed
        assert page.locator("img.poster-qr").is_visible()
    finally:
        context.close()


def test_report_page_prints(mid_quarter, live_server, desktop_page, db, make_event,
                            make_registration, make_staff):
    seed(db, make_event, make_registration)
    make_staff("admin", "admin")
    db.session.remove()
    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/staff/login" not in url)  # the staff home, wherever it is
    page.goto(f"{live_server}/staff/report")
    assert page.locator("#r-satisfaction").inner_text() == "90.0%"
    page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("form.period").is_visible()  # the period picker is not printed
    assert pdf_pages(page.pdf(format="A4")) == 1
