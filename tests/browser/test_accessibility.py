"""Elder-friendly and accessible public pages (适老化, GB/T 37668-2019), in Chromium.

axe-core finds no serious or critical violation (contrast included) on every public page
and the check-in screen, in both languages and in elder mode; computed font sizes and
tap-target sizes meet our figures; each page stays under its weight budget with no request
to another host.
"""
import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
BUDGET_BYTES = 50 * 1024

# Figures: body text >= 16 px, targets >= 44 px; elder mode: text >= 24 px (18 pt), targets >= 60 px.
MODES = {"standard": {"font": 16, "target": 44}, "elder": {"font": 24, "target": 60}}


@pytest.fixture
def public_urls(app, db, make_event, make_registration, live_server):
    """Every public page worth a visit, as a person would reach it."""
    event = make_event(slug="energy-week-open-day", waitlist=True)
    registration = make_registration(event, email="citizen@example.com")
    urls = {"home": "/", "event": f"/events/{event.slug}", "privacy": "/privacy",
            "login": "/staff/login"}
    rules = {r.rule for r in app.url_map.iter_rules()}
    optional = {
        "register": ("/events/<slug>/register", f"/events/{event.slug}/register"),
        "ticket": ("/tickets/<token>", f"/tickets/{registration.token}"),
        "event_feedback": ("/events/<slug>/feedback", f"/events/{event.slug}/feedback"),
    }
    for name, (rule, url) in optional.items():
        if rule in rules:
            urls[name] = url
    return {name: live_server + url for name, url in urls.items()}


def _set_mode(context, base, lang, elder):
    host = urlparse(base).hostname
    context.add_cookies([
        {"name": "lang", "value": lang, "domain": host, "path": "/"},
        {"name": "elder", "value": "1" if elder else "0", "domain": host, "path": "/"},
    ])


def _axe(page):
    page.add_script_tag(content=AXE)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }")
    return [v for v in result if v["impact"] in ("serious", "critical")]


MEASURE = """
(minTarget) => {
  const small = [], tiny = [];
  const visible = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && !el.closest('.honeypot, .skip-link'); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!node.textContent.trim() || !el || !visible(el)) continue;
    if (el.closest('script, style, noscript')) continue;
    tiny.push([el.tagName + '.' + el.className, parseFloat(getComputedStyle(el).fontSize),
               node.textContent.trim().slice(0, 20)]);
  }
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    if (!visible(el) || el.type === 'hidden') continue;
    // A link inside running text is exempt (WCAG 2.5.8 "inline").
    if (el.tagName === 'A' && !el.classList.contains('btn') && el.closest('p, li, td') &&
        el.closest('p, li, td').textContent.trim() !== el.textContent.trim()) continue;
    let box = el.getBoundingClientRect();
    if ((el.type === 'checkbox' || el.type === 'radio') && el.closest('label')) {
      box = el.closest('label').getBoundingClientRect();
    }
    if (box.height < minTarget || box.width < minTarget) {
      small.push([el.tagName + '#' + el.id + '.' + el.className, Math.round(box.width),
                  Math.round(box.height)]);
    }
  }
  return {fonts: tiny, small};
}
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_public_pages_pass_axe_and_meet_the_size_figures(browser, public_urls, lang, mode):
    # bypass_csp lets the test inject axe; the pages themselves never run inline script.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    _set_mode(context, public_urls["home"], lang, mode == "elder")
    page = context.new_page()
    figures = MODES[mode]
    problems = {}
    for name, url in public_urls.items():
        response = page.goto(url)
        assert response.status < 400, f"{name}: {response.status}"
        violations = _axe(page)
        measured = page.evaluate(MEASURE, figures["target"])
        too_small_text = [f for f in measured["fonts"] if f[1] < figures["font"]]
        if violations or too_small_text or measured["small"]:
            problems[name] = {"axe": violations, "text": too_small_text[:5],
                              "targets": measured["small"][:5]}
    context.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_pages_weigh_under_budget_and_stay_on_our_host(browser, public_urls):
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  user_agent=("Mozilla/5.0 (Linux; Android 10; V1916A) "
                                              "AppleWebKit/537.36 (KHTML, like Gecko) "
                                              "Chrome/78.0.3904.62 Mobile Safari/537.36 "
                                              "MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64"))
    page = context.new_page()
    own_host = urlparse(public_urls["home"]).netloc
    report = {}
    for name, url in public_urls.items():
        requests = []

        def keep(request, requests=requests):
            requests.append(request)

        page.on("requestfinished", keep)
        page.goto(url, wait_until="networkidle")
        page.remove_listener("requestfinished", keep)
        total = 0
        for request in requests:
            assert urlparse(request.url).netloc == own_host, f"{name} asked {request.url}"
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        report[name] = total
    context.close()
    over = {name: size for name, size in report.items() if size > BUDGET_BYTES}
    assert not over, f"over {BUDGET_BYTES} bytes: {over} (all: {report})"


def test_pages_work_without_javascript(browser, public_urls):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    for name, url in public_urls.items():
        response = page.goto(url)
        assert response.status < 400, name
        assert page.locator("h1").count() >= 1, f"{name} has no heading without JavaScript"
    context.close()
