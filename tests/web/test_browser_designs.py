"""Accounts, saving and sharing in Debian's Chromium against a live Daphne: the issue's story from
sign-up to a revoked link, hostile names shown as text everywhere, and pages that keep to the
Content-Security-Policy (also when a course page on another site frames the embed)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_TEXT = "<script>alert(1)</script>"
PASSWORD = "a-Long-pass-91"
VIEWPORT = {"width": 1400, "height": 1000}


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"designs-{name}.png"), full_page=True)


def watch(page: Any) -> list[str]:
    """Uncaught script errors and dialogs (a dialog means someone's markup ran as script)."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))

    def dialog(d: Any) -> None:
        problems.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    return problems


def sign_up(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/profile/")


def change_topology(page: Any, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Edit the lab's JSON view and apply it, as a user does."""
    doc = page.eval_on_selector("#topology", "t => JSON.parse(t.value)")
    change(doc)
    if not page.is_visible("#topology"):  # the JSON view is one click away, closed at first
        page.click("#json-toggle")
    page.fill("#topology", json.dumps(doc, indent=2))
    page.click("#apply-json")
    return doc


def relabel(index: int, label: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["nodes"][index]["label"] = label
    return change


def labels(page: Any) -> list[str]:
    return [n.get("label") for n in page.eval_on_selector("#topology", "t => JSON.parse(t.value)")["nodes"]]


def design_id(url: str) -> str:
    return re.search(r"/designs/([0-9a-f-]{36})/", url).group(1)


def test_a_design_is_saved_changed_restored_shared_run_forked_and_its_revoked_link_refused(live_lab: str, browser: Any) -> None:
    # Playwright's waits are evaluated as strings, which the site's policy forbids: lifted here
    # (the policy has its own test below).
    alice_context = browser.new_context(bypass_csp=True, viewport=VIEWPORT)
    alice = alice_context.new_page()
    alice_problems = watch(alice)

    # As a visitor, Alice starts on the lab's first example and makes it her own.
    alice.goto(live_lab + "/")
    alice.wait_for_selector("#canvas .joint-element")
    original = labels(alice)
    change_topology(alice, lambda doc: doc.update(name="Checkout"))
    expect(alice.locator("#design-bar")).to_contain_text("Sign up")

    # She signs up; her profile offers to save that work in progress, and she does.
    sign_up(alice, live_lab, "alice")
    expect(alice.locator("#draft-offer")).to_be_visible()
    expect(alice.locator("#draft-name")).to_have_value("Checkout")
    alice.click("#draft-save")
    alice.click("#draft-status a")
    alice.wait_for_url("**/designs/*/")
    url = alice.url
    expect(alice.locator("#design-name")).to_have_text("Checkout")
    shot(alice, "1-saved")

    # Two changes in the lab, each saved as a revision with a message.
    alice.click("#open-in-lab")
    alice.wait_for_selector("#save-design")
    expect(alice.locator("#design-revision")).to_have_text("1")
    change_topology(alice, relabel(0, "Web shoppers"))
    alice.fill("#save-message", "renamed the shoppers")
    alice.click("#save-design")
    expect(alice.locator("#save-status")).to_have_text("Saved revision 2.")
    change_topology(alice, relabel(1, "Front door"))
    alice.click("#save-design")
    expect(alice.locator("#save-status")).to_have_text("Saved revision 3.")
    shot(alice, "2-revision-3")

    # What changed between r1 and r3, then r1 restored (as r4).
    alice.goto(url + "compare?from=1&to=3")
    expect(alice.locator("[data-testid=node-changed]")).to_have_count(2)
    expect(alice.locator("[data-testid=compare]")).to_contain_text('"Web shoppers"')
    alice.goto(url)
    alice.click("a[href$='/revisions/1/']")
    alice.click("#restore")
    alice.wait_for_url(url)
    expect(alice.locator(".messages")).to_contain_text("Revision 1 is the latest again, as revision 4.")
    alice.click("#open-in-lab")
    alice.wait_for_selector("#canvas .joint-element")
    assert labels(alice) == original

    # She shares it by link.
    alice.goto(url)
    alice.select_option("#visibility", "unlisted")
    alice.click("#share-save")
    link = alice.input_value("#share-url")
    assert re.fullmatch(re.escape(live_lab) + r"/s/[\w-]{40,}/", link), link
    shot(alice, "3-shared")

    # Bob, in another browser, opens the link: read-only, but he can run it...
    bob_context = browser.new_context(bypass_csp=True, viewport=VIEWPORT)
    bob = bob_context.new_page()
    bob_problems = watch(bob)
    sign_up(bob, live_lab, "bob")
    bob.goto(link)
    expect(bob.locator("#design-bar")).to_contain_text("Viewing Checkout by alice")
    assert bob.locator("#save-design").count() == 0
    bob.click("#run")
    bob.wait_for_function("(document.getElementById('chart-throughput').data || [{x: []}])[0].x.length >= 3",
                          timeout=30_000)
    shot(bob, "4-bob-runs")
    bob.click("#stop")
    expect(bob.locator("#status")).to_have_text("Run stopped.", timeout=20_000)

    # ...and fork it: the fork is his, and says where it came from.
    bob.click("#fork-design")
    bob.wait_for_url("**/edit")
    expect(bob.locator("#design-bar")).to_contain_text("Editing Checkout (fork) by bob")
    bob.click("#design-link")
    expect(bob.locator("[data-testid=forked-from]")).to_contain_text("Forked from Checkout by alice")
    fork_url = bob.url
    alice.reload()
    expect(alice.locator("[data-testid=fork-count]")).to_have_text("1 fork")
    expect(alice.locator("[data-testid=revisions] tbody tr")).to_have_count(4)  # Bob's run changed nothing

    # Alice revokes the link; Bob's next visit is refused, and his fork stays his.
    alice.click("#revoke-link")
    expect(alice.locator(".messages")).to_contain_text("The link was revoked")
    assert bob.goto(link).status == 404
    assert bob.goto(url).status == 404
    assert bob.goto(fork_url).status == 200
    expect(bob.locator("[data-testid=forked-from]")).to_contain_text("a design that is not shared with you")
    shot(bob, "5-link-revoked")
    assert alice_problems == [] and bob_problems == []
    alice_context.close()
    bob_context.close()


def test_names_descriptions_and_labels_with_markup_show_as_text_and_never_run(live_lab: str, browser: Any) -> None:
    # The policy is lifted on purpose: if any of these strings reached the page as markup, the
    # script in it would run and open a dialog, instead of being stopped by the policy.
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORT)
    page = context.new_page()
    problems = watch(page)
    sign_up(page, live_lab, "mallory")
    page.goto(live_lab + "/")
    page.wait_for_selector("#canvas .joint-element")
    doc = change_topology(page, relabel(0, XSS_NAME))
    node = doc["nodes"][0]["id"]
    page.fill("#design-name", XSS_NAME)
    page.click("#save-as-design")
    page.wait_for_url("**/edit")

    # The canvas: the node's label and its tooltip are text.
    label = page.locator(f"#canvas [model-id='{node}']")
    # The box shows the start of a long label as text (the lab cuts labels at 18 characters), the
    # tooltip all of it.
    expect(label.locator("text").first).to_contain_text(XSS_NAME[:17] + "…")
    assert label.locator("title").first.text_content().startswith(XSS_NAME)
    expect(page.locator("#design-link")).to_have_text(XSS_NAME)
    assert page.locator("#canvas img, #design-bar img").count() == 0

    # The design page, with a description that is a script, made public for the gallery.
    page.click("#design-link")
    url = page.url
    page.fill("textarea[name=description]", XSS_TEXT)
    page.click("#settings button[type=submit]")
    page.select_option("#visibility", "public")
    page.click("#share-save")
    expect(page.locator("#design-name")).to_have_text(XSS_NAME)
    expect(page.locator("#design-description")).to_have_text(XSS_TEXT)
    assert page.locator("main img").count() == 1  # the thumbnail, nothing else
    shot(page, "6-markup-as-text")

    page.goto(live_lab + "/accounts/profile/")
    expect(page.locator("[data-testid=profile-designs] .design-name")).to_have_text(XSS_NAME)
    page.goto(live_lab + "/gallery")
    card = page.locator(f".card[data-design='{design_id(url)}']")
    expect(card.locator(".card-name")).to_have_text(XSS_NAME)
    expect(card.locator(".card-description")).to_have_text(XSS_TEXT)
    assert card.locator("img").count() == 1
    page.goto(url + "embed")
    expect(page.locator("#embed-name")).to_have_text(XSS_NAME)

    # The thumbnail escapes the label (cut to 12 characters) and holds no element but its own.
    response = page.goto(url + "thumbnail.svg")
    assert response.headers["content-type"] == "image/svg+xml"
    assert "&lt;img src=x" in response.text() and "<img" not in response.text()
    assert page.locator("img, script").count() == 0
    assert problems == []
    context.close()


def test_the_lab_a_design_page_the_gallery_and_a_framed_embed_keep_to_the_content_security_policy(live_lab: str, browser: Any) -> None:
    # No bypass here: every violation the browser reports is collected. Waits use selectors only
    # (Playwright's function waits would themselves be refused by the policy). The course page
    # below is served by Playwright itself, so Chromium cannot tell it is on this machine: the
    # permission lets it frame a loopback address.
    context = browser.new_context(viewport=VIEWPORT, permissions=["local-network-access"])
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    problems = watch(page)

    page.goto(live_lab + "/")
    page.wait_for_selector("#canvas .joint-element")
    page.click("#run")
    expect(page.locator("#chart-throughput .main-svg").first).to_be_attached(timeout=30_000)  # Plotly drew
    page.click("#stop")
    expect(page.locator("#status")).to_have_text("Run stopped.", timeout=20_000)
    sign_up(page, live_lab, "carol")
    page.goto(live_lab + "/")
    page.fill("#design-name", "Policy check")
    page.click("#save-as-design")
    page.wait_for_url("**/edit")
    page.wait_for_selector("#canvas .joint-element")
    page.click("#design-link")
    page.wait_for_selector("#thumbnail")
    url = page.url
    page.select_option("#visibility", "public")
    page.click("#share-save")
    expect(page.locator(".badge.public")).to_be_visible()
    page.goto(live_lab + "/gallery")
    thumbnail = f".card[data-design='{design_id(url)}'] img"
    expect(page.locator(thumbnail)).to_be_visible()
    assert page.eval_on_selector(thumbnail, "i => i.complete && i.naturalWidth") == 320  # the SVG drew
    page.goto(live_lab + "/accounts/profile/")
    page.goto(url + "revisions/1/")
    assert violations == [], violations

    # A course page on another site frames the embed (allowed) and the design page (refused).
    # "localhost" is another site than "127.0.0.1".
    course = live_lab.replace("127.0.0.1", "localhost") + "/course/week-3"
    page.route(course, lambda route: route.fulfill(content_type="text/html", body=(
        f'<h1>Week 3</h1><iframe id="embed" src="{url}embed" width="900" height="500"></iframe>'
        f'<iframe id="page" src="{url}" width="900" height="300"></iframe>')))
    page.goto(course)
    embed = page.frame_locator("#embed")
    expect(embed.locator("#embed-name")).to_have_text("Policy check")
    expect(embed.locator("#canvas .joint-element").first).to_be_visible()
    expect(page.frame_locator("#page").locator("#design-name")).to_have_count(0)
    # Exactly one refusal: the design page's (the browser names only the origin).
    expect(page.frame_locator("#embed").locator("#run")).to_be_enabled()
    assert len(violations) == 1 and "frame-ancestors 'self'" in violations[0] and live_lab in violations[0], violations
    assert problems == []
    context.close()


def test_the_embed_runs_the_design_and_framed_by_another_site_points_to_archlab_to_run_it(live_lab: str, browser: Any) -> None:
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORT, permissions=["local-network-access"])
    page = context.new_page()
    problems = watch(page)
    sign_up(page, live_lab, "dave")
    page.goto(live_lab + "/")
    page.fill("#design-name", "Embedded")
    page.click("#save-as-design")
    page.wait_for_url("**/edit")
    page.click("#design-link")
    page.select_option("#visibility", "unlisted")
    page.click("#share-save")
    embed = page.input_value("#share-url") + "embed"
    page.click("#logout")
    page.wait_for_url(live_lab + "/")

    # A visitor opens the embed itself: read-only canvas, and Run works.
    page.goto(embed)
    page.wait_for_selector("#canvas .joint-element")
    page.select_option("#speed", "0")
    page.click("#run")
    expect(page.locator("#status")).to_have_text("Run done.", timeout=60_000)
    assert page.evaluate("document.getElementById('chart-throughput').data[0].x.length") > 0
    shot(page, "7-embed")

    # Framed by a course page on another site, the browser withholds this site's cookies (and
    # with them the CSRF token): Run says to open the design in Archlab, with the link at the top.
    course = live_lab.replace("127.0.0.1", "localhost") + "/course/week-4"
    page.route(course, lambda route: route.fulfill(content_type="text/html", body=(
        f'<iframe id="embed" src="{embed}" width="900" height="560"></iframe>')))
    page.goto(course)
    frame = page.frame_locator("#embed")
    frame.locator("#run").click()
    expect(frame.locator("#status")).to_contain_text("open it in Archlab")
    assert frame.locator("#embed-name").get_attribute("target") == "_blank"
    assert problems == []
    context.close()
