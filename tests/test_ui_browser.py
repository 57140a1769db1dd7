"""The web app in a real browser: headless Chromium (the Debian package) driven by Playwright.

A first-time user's path: type a prompt with personal data, see what the
model will get before sending, send, read the answer, turn on the
probabilities and hover a word; then open an exercise from a trainer's link
and look at the log. ``make screenshots`` saves the screenshots into
``docs/screenshots`` for the README; a plain test run keeps them in its
temporary folder.
Playwright never downloads a browser here: it launches ``/usr/bin/chromium``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_audit import make_entry
from ui_server import running_app

from sandbox.audit import AuditLog
from sandbox.backends.base import GenerationParams, Message
from sandbox.backends.llama import LlamaBackend
from sandbox.exercises.catalog import get_card, load_idebank, load_programme
from sandbox.exercises.schema import HORIZONS
from sandbox.pipeline import Pipeline, Request, Session
from sandbox.ui.auth import LOCAL_VIEWS, UserStore
from sandbox.ui.compliance import COLUMNS as LOG_COLUMNS

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CPR = "150385-1234"
PROMPT = (
    f"Skriv et kort brev til Mette Hansen, CPR {CPR}, om at hendes ansøgning om boligstøtte er modtaget. "
    "Hun har diabetes."
)
EXERCISE = "privatliv-journalnotat"
SLOW = 600_000  # ms, for a model answer: the model shares two cores with everything else
QUICK = 60_000  # ms, for anything that does not wait for the model
Shoot = Callable[[Any, str], None]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium mangler: installér Debian-pakken 'chromium' (.ci/run gør det).")
        pytest.skip("Chromium (Debian-pakken 'chromium') er ikke installeret.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def url(pipeline: Pipeline) -> Iterator[str]:
    with running_app(pipeline) as (address, _):
        yield address


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> Shoot:
    """Save a page's screenshot under a name.

    Into ``$LEGEPLADS_SCREENSHOTS`` when set (``make screenshots`` sets it to
    docs/screenshots, the README's pictures), else into this run's temporary
    folder, so a test run leaves the work tree as it found it.
    """
    folder = Path(os.environ.get("LEGEPLADS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"))

    return save


def set_max_tokens(page: Any, max_tokens: int) -> None:
    """Cap the answer's length under "Indstillinger" (the model shares two cores with the browser)."""
    page.locator("#lp-settings-toggle").click()
    box = page.locator("#lp-max-tokens input[type=number]")
    box.fill(str(max_tokens))
    box.press("Enter")
    expect(box).to_have_value(str(max_tokens))  # what Send reads; the answer's facts show the limit it used


def write_prompt(page: Any, url: str, prompt: str, max_tokens: int) -> None:
    """Open the app and type ``prompt``, ready to send with a short answer."""
    page.goto(url)
    page.locator("#lp-prompt textarea").fill(prompt)
    set_max_tokens(page, max_tokens)


def set_temperature(page: Any, temperature: float) -> None:
    """Set the temperature under "Indstillinger" (opened by :func:`set_max_tokens`); 0 = always the likeliest token.

    The slider itself: its number box is hidden (it wrote "0.7"), and its label says the value.
    """
    slider = page.locator("#lp-temperature input[type=range]")
    slider.fill(f"{temperature:g}")
    expect(slider).to_have_value(f"{temperature:g}")
    label = page.locator("#lp-temperature [data-testid=block-info]")
    expect(label).to_have_text(f"Temperatur: {temperature:g}".replace(".", ","))


def fix_seed(page: Any, seed: int | str) -> None:
    """Choose a fixed seed under "Indstillinger" (opened by :func:`set_max_tokens`).

    A test that looks at the answer itself needs one: with a random seed the
    demo model gives an empty answer about once in a hundred sends (3 of 300
    seeds for "Gentag navnet Mette Hansen."), which failed a CI run.
    """
    page.locator("#lp-seed-mode").get_by_label("Fast").check()
    box = page.locator("#lp-seed input[type=number]")
    box.fill(str(seed))
    box.press("Enter")
    expect(box).to_have_value(str(seed))


def test_first_time_user_path(page: Any, url: str, pipeline: Pipeline, shoot: Shoot) -> None:
    page.goto(url)
    prompt = page.locator("#lp-prompt textarea")
    prompt.wait_for(timeout=QUICK)
    assert page.get_by_text("Dette er en lille demomodel").is_visible()
    assert page.get_by_text("Alt kører på denne computer").is_visible()
    assert not page.locator("#lp-logout").is_visible(), "no login, no log out"
    assert page.locator("#lp-explanation").get_by_text("Her ser du, hvad modellen får at se").is_visible()

    prompt.fill(PROMPT)
    preview = page.locator("#lp-preview")
    preview.get_by_text("[PERSON_1]").wait_for(timeout=QUICK)
    shown = preview.inner_text()
    assert "[CPR_1]" in shown and "diabetes" in shown
    assert CPR not in shown and "Mette Hansen" not in shown
    assert "Art. 9: helbred" in shown and "CPR-nummer" in shown
    page.locator("#lp-explanation").get_by_text("Værnet erstatter 2 personoplysninger").wait_for()
    preview.scroll_into_view_if_needed()
    shoot(page, "1-forhaandsvisning")

    set_max_tokens(page, 48)
    fix_seed(page, 1)  # 48 tokens of answer on the demo model
    before = pipeline.log.entries(limit=1)[0]["id"] if pipeline.log.entries(limit=1) else 0
    page.locator("#lp-send").click()
    page.locator("#lp-send").click()
    page.get_by_text("Du har allerede sendt en prompt").wait_for(timeout=QUICK)
    page.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    answer = page.locator("#lp-answer .lp-answer")
    assert answer.inner_text().strip(), "an answer is shown"
    meta = page.locator("#lp-meta").inner_text()
    assert "Seed:" in meta and "(højst 48)" in meta, meta
    assert int(meta.split("ind, ")[1].split(" ud")[0]) <= 48
    entries = [e for e in pipeline.log.entries() if e["id"] > before]
    assert len(entries) == 1, "pressing Send twice sends once"
    assert CPR not in entries[0]["prompt"] and "[CPR_1]" in entries[0]["prompt"]
    page.locator("#lp-answer").scroll_into_view_if_needed()
    shoot(page, "2-svar")

    page.locator("#lp-probs input").check()
    tokens = page.locator("#lp-answer .lp-tokens .lp-tok")
    tokens.first.wait_for(timeout=QUICK)
    assert tokens.count() >= 2
    word = tokens.nth(min(2, tokens.count() - 1))
    word.hover()
    tooltip = word.locator(".lp-alts")
    tooltip.wait_for(state="visible")
    assert "%" in tooltip.inner_text()
    shoot(page, "3-sandsynligheder")


def test_settings_typed_right_after_opening_are_the_ones_used(page: Any, url: str) -> None:
    """Gradio mounted a closed accordion's inputs on opening and a frame later put their starting values back.

    A value typed in that frame was lost (200 tokens instead of 48, 3 of 7
    runs). The settings now exist, hidden, before they are opened, so there
    is nothing left to mount.
    """
    page.goto(url)
    page.locator("#lp-prompt textarea").fill("Skriv en sætning om vejret.")
    box = page.locator("#lp-max-tokens input[type=number]")
    expect(box).to_be_attached(timeout=QUICK)  # in the page already, folded away
    expect(box).to_be_hidden()
    page.locator("#lp-settings-toggle").click()
    box.fill("16")  # at once: no wait between opening and typing
    page.locator("#lp-send").click()
    page.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    assert "(højst 16)" in page.locator("#lp-meta").inner_text()
    assert box.input_value() == "16"
    page.locator("#lp-settings-toggle").click()
    box.wait_for(state="hidden", timeout=QUICK)


# Decimal points a person can see inside the selector: in its text on screen and in its visible boxes.
VISIBLE_DECIMAL_POINTS = """(selector) => {
    const root = document.querySelector(selector);
    const boxes = [...root.querySelectorAll('input:not([type=range]):not([type=hidden]), textarea')]
        .filter((box) => box.checkVisibility())
        .map((box) => box.value);
    return [root.innerText, ...boxes].flatMap((text) => text.match(/\\d\\.\\d+/g) || []);
}"""


def test_slider_figures_have_a_decimal_comma(page: Any, url: str) -> None:
    """The label says "Temperatur: 0,7"; the number box beside it said "0.7", so the decimal sliders have none."""
    page.goto(url)
    page.locator("#lp-settings-toggle").click()
    temperature = page.locator("#lp-temperature")
    expect(temperature).to_contain_text("Temperatur: 0,7")
    for decimal_slider in ("#lp-temperature", "#lp-top-p"):
        expect(page.locator(f"{decimal_slider} input[type=number]")).to_be_hidden()
    expect(page.locator("#lp-max-tokens input[type=number]")).to_be_visible()  # whole numbers keep their box
    slider = temperature.locator("input[type=range]")
    slider.focus()
    slider.press("ArrowRight")  # one step of 0,05, as a person moves it from the keyboard
    expect(temperature).to_contain_text("Temperatur: 0,75")
    set_temperature(page, 0.35)
    expect(temperature).to_contain_text("Temperatur: 0,35")
    expect(page.locator("#lp-top-p .min_value")).to_have_text("0,05")
    assert page.evaluate(VISIBLE_DECIMAL_POINTS, "#lp-settings") == []


def test_empty_prompt_is_refused_at_once(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("#lp-prompt textarea").wait_for(timeout=QUICK)
    page.locator("#lp-send").click()
    page.get_by_text("Prompten er tom").first.wait_for(timeout=QUICK)
    assert page.locator(".toast-title").first.inner_text().strip() == "Fejl"


@pytest.fixture(scope="module")
def one_slot_url(pipeline: Pipeline, demo_model_path: Path) -> Iterator[str]:
    """The app with a model that answers one person at a time, so a second one has to queue."""
    one = Pipeline(LlamaBackend(demo_model_path, name="demo", demo=True, slots=1), pipeline.guard, pipeline.log)
    with running_app(one) as (address, _):
        yield address
    one.close()


def test_a_second_person_sees_their_place_in_the_queue(browser: Any, one_slot_url: str, shoot: Shoot) -> None:
    url = one_slot_url
    first, second = (browser.new_context(viewport={"width": 1280, "height": 900}).new_page() for _ in range(2))
    # The first person asks for a long answer, so the model is surely busy when the second sends.
    # A drawn answer may stop after a few dozen tokens (seed 4 did after 67 once the batching
    # engine's arithmetic came); the greedy one writes all 1,024 (checked on the demo model).
    for person, max_tokens in ((first, 1024), (second, 16)):
        write_prompt(person, url, "Fortæl en lang historie om en kommune.", max_tokens)
    set_temperature(first, 0)
    expect(first.locator("#lp-stop")).to_be_disabled()  # nothing runs: a live red Stop would say otherwise
    first.locator("#lp-send").click()
    first.locator("#lp-status").get_by_text("Modellen skriver").wait_for(timeout=SLOW)
    second.locator("#lp-send").click()
    second.locator("#lp-answer").get_by_text("Plads i køen: 1 af 1").wait_for(timeout=QUICK)
    expect(second.locator("#lp-stop")).to_be_enabled()  # a waiting call can be stopped too
    second.locator("#lp-answer").scroll_into_view_if_needed()
    shoot(second, "8-koe")
    first.locator("#lp-stop").click()
    first.get_by_text("Stopper …").first.wait_for(timeout=QUICK)
    # The status line must end on "Stoppet." however the stop's reply and the
    # answer's last update race each other (it used to stay on "Stopper …").
    first.locator("#lp-status").get_by_text("Stoppet.").wait_for(timeout=QUICK)
    expect(first.locator("#lp-stop")).to_be_disabled()
    second.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    expect(second.locator("#lp-stop")).to_be_disabled()
    for person in (first, second):
        person.context.close()


def test_two_people_are_answered_at_the_same_time(browser: Any, url: str, shoot: Shoot) -> None:
    """The model has slots for several: a second person's answer comes while the first is still being written."""
    first, second = (browser.new_context(viewport={"width": 1280, "height": 900}).new_page() for _ in range(2))
    write_prompt(first, url, "Fortæl en lang historie om en kommune.", 300)
    # Nearly greedy, so it writes all 300 tokens (8 of 8 random seeds did on the demo model) and is surely
    # still running; not 0, since greedy answers are decoded alone, and a random seed shares the decode.
    set_temperature(first, 0.1)
    write_prompt(second, url, "Skriv en sætning om vejret.", 12)
    first.locator("#lp-send").click()
    first.locator("#lp-status").get_by_text("Modellen skriver").wait_for(timeout=SLOW)
    second.locator("#lp-send").click()
    second.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    expect(first.locator("#lp-status")).to_contain_text("Modellen skriver")  # no queue behind the long answer
    assert "Plads i køen" not in second.locator("#lp-answer").inner_text()
    meta = second.locator("#lp-meta").inner_text()
    assert "sammen med 1 andet svar" in meta, meta
    second.locator("#lp-meta").scroll_into_view_if_needed()
    shoot(second, "11-sammen")
    first.locator("#lp-stop").click()
    first.locator("#lp-status").get_by_text("Stoppet.").wait_for(timeout=QUICK)
    for person in (first, second):
        person.context.close()


def test_a_bad_seed_is_explained_and_the_tab_still_sends(page: Any, url: str) -> None:
    write_prompt(page, url, "Skriv en sætning om vejret.", 8)
    fix_seed(page, 7)
    seed = page.locator("#lp-seed input[type=number]")
    for bad in ("-5", "99999999999"):
        seed.fill(bad)
        seed.press("Enter")
        page.locator("#lp-send").click()
        page.get_by_text("Skriv et helt tal fra 0 til 4.294.967.295 som fast seed").first.wait_for(timeout=QUICK)
    assert not page.get_by_text("minimum value").count() and not page.get_by_text("maximum value").count()
    seed.fill("7")
    seed.press("Enter")
    page.locator("#lp-send").click()  # refused settings must not leave the tab marked as busy
    page.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    assert "Seed: 7 (fast)" in page.locator("#lp-meta").inner_text()


def test_exercise_opens_from_a_link(page: Any, url: str, shoot: Shoot) -> None:
    page.goto(f"{url}?ovelse={EXERCISE}")
    card = page.locator("#lp-card")
    card.get_by_text("Hvad ser modellen af mit journalnotat?").wait_for(timeout=QUICK)
    assert page.get_by_role("tab", name="Øvelser", selected=True).is_visible()
    shoot(page, "4-oevelse")


def test_exercise_runs_and_the_learning_log_keeps_only_placeholders(page: Any, url: str, shoot: Shoot) -> None:
    page.goto(f"{url}?ovelse={EXERCISE}")
    page.locator("#lp-card").get_by_text("Hvad ser modellen af mit journalnotat?").wait_for(timeout=QUICK)
    page.locator("#lp-run-exercise").click()
    result = page.locator("#lp-exercise-result")
    result.get_by_text("[CPR_1]").first.wait_for(timeout=SLOW)
    seen_by_model = result.inner_text().split("Det så modellen", 1)[1].split("Det skrev du", 1)[0]
    assert "[CPR_1]" in seen_by_model and "030352-1217" not in seen_by_model
    result.evaluate("element => element.scrollIntoView({block: 'start'})")
    shoot(page, "9-oevelse-koert")
    page.locator("#lp-journal-toggle").click()
    journal = page.locator("#lp-journal")
    journal.get_by_label("Det prøvede jeg").fill("Indsatte notatet om Ole Kristian Frandsen, cpr 030352-1217.")
    journal.get_by_label("Det skete").fill("Modellen fik kun pladsholdere.")
    journal.get_by_label("Det lærte jeg").fill("Helbredsoplysninger bliver ikke fjernet.")
    page.locator("#lp-journal-save").click()
    download = journal.get_by_role("button", name="Hent læringsloggen (Markdown)")
    download.wait_for(timeout=QUICK)
    with page.expect_download() as saved:
        download.click()
    markdown = Path(saved.value.path()).read_text(encoding="utf-8")
    assert "[CPR_1]" in markdown and "030352-1217" not in markdown and "Frandsen" not in markdown
    page.once("dialog", lambda dialog: dialog.accept())  # "Nulstil?"
    page.locator("#lp-reset").click()
    download.wait_for(state="hidden", timeout=QUICK)  # "Nulstil" forgets the learning log, its download too


def test_an_exercise_can_be_stopped(page: Any, url: str) -> None:
    page.goto(f"{url}?ovelse=tilfaeldighed-temperatur")  # many model calls: surely still running at Stop
    page.locator("#lp-card").get_by_text("Temperaturknappen").wait_for(timeout=QUICK)
    expect(page.locator("#lp-stop-exercise")).to_be_disabled()
    page.locator("#lp-run-exercise").click()
    page.get_by_text("Kører «Temperaturknappen").wait_for(timeout=SLOW)
    progress = page.locator("#lp-exercise-result .progress-text")
    progress.get_by_text(re.compile(r"\d+/18 trin")).first.wait_for(timeout=QUICK)
    assert re.search(r"\d,\ds", progress.first.inner_text()), "Danish figures: 'trin' and 1,5s, not 'steps' and 1.5s"
    page.locator("#lp-stop-exercise").click()
    page.get_by_text("Stoppet. Du stoppede øvelsen").wait_for(timeout=SLOW)
    assert not page.get_by_text("Fejl:").count(), "a stop is not an error"
    expect(page.locator("#lp-stop-exercise")).to_be_disabled()


def overlaps(one: dict[str, float], other: dict[str, float]) -> bool:
    """Whether two of Playwright's bounding boxes share any area."""
    return (
        one["x"] < other["x"] + other["width"]
        and other["x"] < one["x"] + one["width"]
        and one["y"] < other["y"] + other["height"]
        and other["y"] < one["y"] + one["height"]
    )


def test_an_exercise_s_progress_stays_in_its_own_place(page: Any, url: str) -> None:
    """Gradio lays a card's progress over the result, nearly empty while it runs: it covered the Læringslog header."""
    page.goto(f"{url}?ovelse=tilfaeldighed-temperatur")  # 18 model calls: the progress is shown for a while
    page.locator("#lp-card").get_by_text("Temperaturknappen").wait_for(timeout=QUICK)
    page.locator("#lp-run-exercise").click()
    result = page.locator("#lp-exercise-result")
    progress = result.locator(".progress-text").get_by_text(re.compile(r"\d+/18 trin"))
    progress.wait_for(timeout=SLOW)
    tracker = result.locator("[data-testid=status-tracker]")  # the bar, its line and the figures
    expect(tracker).to_contain_text("Modellen skriver alle svarene")
    header = page.locator("#lp-journal-toggle")
    expect(header).to_be_visible()
    for shown in (progress, tracker):
        assert not overlaps(shown.bounding_box(), header.bounding_box()), "over the Læringslog header"
        box, room = shown.bounding_box(), result.bounding_box()
        assert room["y"] <= box["y"] and box["y"] + box["height"] <= room["y"] + room["height"] + 1, "in its place"
    page.locator("#lp-stop-exercise").click()
    page.get_by_text("Stoppet. Du stoppede øvelsen").wait_for(timeout=SLOW)


def test_unknown_exercise_link_is_explained(page: Any, url: str) -> None:
    page.goto(f"{url}?ovelse=findes-ikke")
    page.get_by_text("Øvelsen 'findes-ikke' findes ikke").first.wait_for(timeout=QUICK)
    assert page.get_by_role("tab", name="Øvelser", selected=True).is_visible(), "the list to choose from"
    assert "Vælg en øvelse ovenfor" in page.locator("#lp-card").inner_text()


# Elements inside the selector that scroll sideways: content wider than the box, and the box lets it scroll.
SIDEWAYS_SCROLLERS = """(selector) => {
    const root = document.querySelector(selector);
    return [root, ...root.querySelectorAll('*')]
        .filter((e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
        .filter((e) => e.scrollWidth > e.clientWidth + 1)
        .map((e) => `${e.tagName}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`);
}"""
# Header words wider than their column (which the browser then breaks mid-word, letter by letter).
BROKEN_HEADER_WORDS = """(selector) => {
    const context = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll(`${selector} thead th`)].flatMap((th) => {
        const text = th.querySelector('span') || th;
        const style = getComputedStyle(text);
        context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const room = text.getBoundingClientRect().width + 1;
        return th.innerText.split(/\\s+/).filter((w) => w && context.measureText(w).width > room);
    });
}"""


def test_log_tab_shows_entries_and_an_intact_chain(page: Any, url: str, pipeline: Pipeline, shoot: Shoot) -> None:
    pipeline.ask(Request(PROMPT, GenerationParams(max_tokens=8)), Session())
    page.goto(url)
    page.get_by_role("tab", name="Log").click()
    page.locator("#lp-verification").get_by_text("Kæden er intakt.").wait_for(timeout=QUICK)
    page.wait_for_function("document.querySelector('#lp-log-table').innerText.includes('[CPR_1]')", timeout=QUICK)
    assert CPR not in page.locator("#lp-log-table").inner_text()
    # The review found the masked texts two screens to the right and "Fejl" squeezed into vertical letters.
    assert page.evaluate(SIDEWAYS_SCROLLERS, "#lp-log-table") == [], "nothing in the table scrolls sideways"
    assert page.locator("#lp-log-table thead th").count() == len(LOG_COLUMNS), "the check below saw every header"
    assert page.evaluate(BROKEN_HEADER_WORDS, "#lp-log-table") == [], "no header word is broken across lines"
    page.locator("#lp-log-table [role=gridcell]").filter(has_text="[CPR_1]").first.click()
    details = page.locator("#lp-log-details")
    details.get_by_text("Modelfilens sha256").wait_for(timeout=QUICK)
    expect(details).to_contain_text(re.compile(r"Post \d+"))
    expect(details).to_contain_text("[CPR_1]")
    expect(details).to_contain_text("Forrige posts hash")
    expect(details).to_contain_text(re.compile(r"\b[0-9a-f]{64}\b"))
    assert CPR not in details.inner_text()
    shoot(page, "5-log")
    page.get_by_label("Fra dato").fill("31-12-2025")
    page.locator("#lp-log-show").click()
    page.get_by_text("Ugyldigt tidspunkt").first.wait_for(timeout=QUICK)
    page.get_by_label("Fra dato").fill("2000-01-01")
    page.get_by_role("button", name="Eksportér").click()
    page.get_by_text(re.compile(r"\d+ (post|poster) eksporteret")).first.wait_for(timeout=QUICK)
    link = page.locator("#lp-log-file a").first
    link.wait_for(timeout=QUICK)
    expect(link).to_have_text(re.compile(r"^\d+(,\d)?\s(B|kB)\b"))  # gradio's "63.9 KB", in Danish
    with page.expect_download() as download:
        link.click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert exported.startswith("Nr.;") and "[CPR_1]" in exported and CPR not in exported


@pytest.mark.parametrize("findings", [{"PERSON": 1}, {"PERSON": 1, "CPR": 2}], ids=["1-fund", "3-fund"])
def test_the_log_chart_counts_whole_findings(
    page: Any, pipeline: Pipeline, tmp_path: Path, findings: dict[str, int]
) -> None:
    """With a day of 1-3 findings the y axis read 0, 0,5, 1, 1,5 …: half a name found."""
    finding = make_entry().entities[0]
    with AuditLog(tmp_path / "log.sqlite3") as log:  # a log of its own, its findings all on one day
        for kind, count in findings.items():
            log.append(make_entry(entities=[{**finding, "type": kind, "count": count}]))
        with running_app(Pipeline(pipeline._backend, pipeline.guard, log)) as (address, _):
            page.goto(address)
            page.get_by_role("tab", name="Log").click()
            chart = page.locator("#lp-log-chart")
            expect(chart.locator(".role-legend")).to_contain_text("Navn", timeout=QUICK)  # the data is drawn
            ticks = chart.locator(".role-axis").filter(has_text="Antal").locator(".role-axis-label text")
            expect(ticks.first).to_be_visible(timeout=QUICK)
            labels = ticks.all_text_contents()  # SVG text: it has no innerText
    assert all(re.fullmatch(r"\d+", label) for label in labels), f"only whole numbers on the axis: {labels}"
    numbers = [int(label) for label in labels]
    # A half step written as a whole number (d3's "d" rounds 0,5 to 1) would show a figure twice.
    assert len(numbers) >= 2 and len(set(numbers)) == len(numbers), f"each figure once: {labels}"
    assert max(numbers) >= sum(findings.values()), "the day's bar fits under the top"


def test_presenter_view(page: Any, url: str, shoot: Shoot) -> None:
    page.goto(url)
    page.get_by_text("Underviser").first.click()
    page.locator("#lp-presenter-toggle input").check()
    page.wait_for_function("document.body.classList.contains('lp-presenter')")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#lp-prompt textarea')).fontSize)")
    assert size >= 20
    shoot(page, "6-praesentation")
    # A card's trainer notes hold the answers: hidden on the projector until the trainer asks for them.
    page.goto(f"{url}?ovelse=hallucination-paragraf")
    page.get_by_text("Underviser").first.click()
    page.locator("#lp-presenter-toggle input").check()
    notes = page.locator(".lp-trainer-notes")
    expect(notes).to_be_attached(timeout=QUICK)
    expect(notes).to_be_hidden()
    page.locator("#lp-notes-toggle input").check()
    expect(notes).to_be_visible(timeout=QUICK)
    expect(notes).to_contain_text("Noter til underviseren")
    # Gradio draws a group's background in the border colour, which the projector's high contrast makes black.
    assert page.evaluate("getComputedStyle(document.querySelector('#lp-module')).backgroundColor") != "rgb(0, 0, 0)"


def test_rerun_answers_only_the_prompt_that_was_sent(page: Any, url: str) -> None:
    """ "Kør igen" once answered the old prompt while the box showed new text and its preview.

    It is switched off then, and a switched-off button says nothing, so a line under it says why.
    """
    rerun, why = page.locator("#lp-rerun"), page.locator("#lp-rerun-note")
    write_prompt(page, url, "Skriv til Mette Hansen om hendes sag.", 8)
    expect(rerun).to_be_disabled(timeout=QUICK)
    expect(why).to_be_hidden()  # nothing sent yet: nothing to explain
    page.locator("#lp-send").click()
    page.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    page.locator("#lp-meta").get_by_text("Svar på: «Skriv til [PERSON_1] om hendes sag.»").wait_for(timeout=QUICK)
    expect(rerun).to_be_enabled(timeout=QUICK)
    expect(why).to_be_hidden()
    prompt = page.locator("#lp-prompt textarea")
    prompt.fill("Hvad er klokken?")
    expect(rerun).to_be_disabled(timeout=QUICK)
    expect(why).to_contain_text("Knappen er slået fra, fordi du har ændret teksten i feltet: tryk Send", timeout=QUICK)
    expect(why).to_be_visible()
    assert why.bounding_box()["y"] >= rerun.bounding_box()["y"] + rerun.bounding_box()["height"], "under the button"
    prompt.fill("Skriv til Mette Hansen om hendes sag.")  # the sent prompt back in the box
    expect(rerun).to_be_enabled(timeout=QUICK)
    expect(why).to_be_hidden(timeout=QUICK)
    rerun.click()
    page.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    expect(page.locator("#lp-meta")).to_contain_text("Svar på: «Skriv til [PERSON_1] om hendes sag.»")


def test_restored_answer_is_marked_as_only_on_this_screen(page: Any, url: str) -> None:
    write_prompt(page, url, "Gentag navnet Mette Hansen.", 8)
    fix_seed(page, 1)  # 8 tokens on the demo model; an empty answer has no probabilities to show
    page.locator("#lp-send").click()
    page.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    page.locator("#lp-restored input").check()
    page.locator("#lp-answer").get_by_text("Kun på din skærm").wait_for(timeout=QUICK)
    page.locator("#lp-probs input").check()  # both on: say which one is shown, and how to get the other
    page.locator("#lp-answer").get_by_text("Slå «Vis sandsynligheder» fra").wait_for(timeout=QUICK)


@pytest.fixture(scope="module")
def workshop_url(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = UserStore(tmp_path_factory.mktemp("workshop") / "users.json")
    store.add("deltager", "participant", "hemmelig-kode")
    store.add("revisor", "compliance", "hemmelig-kode")
    store.add("underviser", "trainer", "hemmelig-kode")
    with running_app(pipeline, users=store) as (address, _):
        yield address


def log_in(page: Any, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_text("Log ind med det brugernavn").wait_for(timeout=QUICK)
    page.get_by_label("Brugernavn").fill(name)
    page.get_by_label("Adgangskode").fill("hemmelig-kode")
    page.get_by_role("button", name="Log ind").click()
    page.locator("#lp-prompt textarea").wait_for(timeout=QUICK)
    page.locator("#lp-who").get_by_text(name).wait_for(timeout=QUICK)


def test_the_login_page_is_danish_and_a_wrong_password_is_explained(page: Any, workshop_url: str, shoot: Shoot) -> None:
    page.goto(workshop_url)
    page.get_by_label("Adgangskode").fill("forkert-kode")
    page.get_by_label("Brugernavn").fill("deltager")
    page.get_by_role("button", name="Log ind").click()
    page.get_by_text("Forkert brugernavn eller adgangskode").wait_for(timeout=QUICK)
    lines = {line.strip() for line in page.locator("body").inner_text().splitlines()}
    assert not {"Login", "username", "password", "Incorrect Credentials"} & lines, lines
    assert page.evaluate("document.documentElement.lang") == "da"
    shoot(page, "10-login")


def test_repeated_wrong_passwords_make_the_login_wait_and_say_so(page: Any, pipeline: Pipeline, tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("deltager", "participant", "hemmelig-kode")
    with running_app(pipeline, users=store) as (address, _):  # its own back-off, not the other tests'
        page.goto(address)
        for password in ("forkert-1", "forkert-2", "forkert-3", "forkert-4", "hemmelig-kode"):
            page.get_by_label("Brugernavn").fill("deltager")
            page.get_by_label("Adgangskode").fill(password)
            with page.expect_response(lambda response: response.url.endswith("/login")):
                page.get_by_role("button", name="Log ind").click()
        message = page.locator(".creds")
        expect(message).to_have_text(re.compile(r"^For mange forsøg – prøv igen om \d+ sekund(er)?\.$"))
        assert not page.locator("#lp-prompt").count(), "the right password waits too"


def test_workshop_says_where_text_goes_and_log_out_stays_in_the_tab(page: Any, workshop_url: str) -> None:
    log_in(page, workshop_url, "deltager")
    assert page.get_by_text("Legepladsen kører på underviserens computer her i lokalet").is_visible()
    page.get_by_role("tab", name="Om").click()
    page.get_by_text("Til underviserens computer her i lokalet").wait_for(timeout=QUICK)
    assert page.get_by_text("Forbindelsen i lokalet er ikke krypteret").is_visible()
    page.locator("#lp-logout").click()
    page.get_by_label("Brugernavn").wait_for(timeout=QUICK)
    assert len(page.context.pages) == 1, "the login page replaces the app in the same tab"
    assert not page.locator("#lp-prompt").count()


def test_a_caseworker_at_their_own_computer_sees_neither_trainer_panel_nor_log(
    page: Any, pipeline: Pipeline
) -> None:
    """``legeplads serve`` without logins shows the participant's views, and the model advice is one command."""
    with running_app(pipeline, local_role=LOCAL_VIEWS["deltager"]) as (address, _):
        page.goto(address)
        expect(page.locator("#lp-who")).to_contain_text("visning for deltager", timeout=QUICK)
        expect(page.locator("#lp-trainer")).to_be_hidden()
        expect(page.get_by_role("tab", name="Log")).to_be_hidden()
        expect(page.locator("#lp-model")).to_contain_text("python scripts/download_model.py gemma-3-4b-it")


@pytest.mark.parametrize(
    ("name", "log_tab", "trainer_panel"),
    [("deltager", False, False), ("underviser", False, True), ("revisor", True, False)],
)
def test_workshop_roles_see_their_views(
    page: Any, workshop_url: str, name: str, log_tab: bool, trainer_panel: bool, shoot: Shoot
) -> None:
    log_in(page, workshop_url, name)  # the name appears by the same load event that sets the views
    assert page.get_by_role("tab", name="Log").is_visible() is log_tab
    assert page.locator("#lp-trainer").is_visible() is trainer_panel
    if trainer_panel:
        page.locator("#lp-trainer").get_by_text("Underviser").click()
        page.locator("#lp-queue").get_by_text("Kø hos modellen").wait_for(timeout=QUICK)
        shoot(page, "7-workshop-underviser")


def test_reset_clears_the_answer_and_the_session(page: Any, url: str) -> None:
    write_prompt(page, url, "Hej Mette Hansen.", 8)
    page.locator("#lp-send").click()
    page.locator("#lp-status").get_by_text("Færdig.").wait_for(timeout=SLOW)
    asked: list[str] = []

    def answer(accept: bool) -> Callable[[Any], None]:
        def handle(dialog: Any) -> None:
            asked.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.locator("#lp-reset").click()
    page.wait_for_timeout(1_000)
    assert asked and "læringslog" in asked[0], "Nulstil asks first"
    assert page.locator("#lp-prompt textarea").input_value() == "Hej Mette Hansen.", "'Annuller' keeps everything"
    page.once("dialog", answer(True))
    page.locator("#lp-reset").click()
    page.get_by_text("Nulstillet").first.wait_for(timeout=QUICK)
    page.locator("#lp-answer").get_by_text("Svaret kommer her.").wait_for(timeout=QUICK)
    assert page.locator("#lp-prompt textarea").input_value() == ""
    expect(page.locator("#lp-rerun")).to_be_disabled(timeout=QUICK)  # nothing was sent since


def test_a_trainer_runs_the_module_the_room_follows_and_the_record_names_no_one(
    browser: Any, pipeline: Pipeline, tmp_path: Path, shoot: Shoot
) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("underviser", "trainer", "hemmelig-kode")
    store.add("kursist-nord", "participant", "hemmelig-kode")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK") for _ in range(2)]
    trainer, participant = (context.new_page() for context in contexts)
    title = load_programme().module.title
    try:
        with running_app(pipeline, users=store) as (address, _):  # its own module, not the other tests'
            log_in(trainer, address, "underviser")
            trainer.get_by_role("tab", name="Øvelser").click()
            trainer.locator("#lp-module-view").get_by_text("Der er ikke et modul i gang").wait_for(timeout=QUICK)
            trainer.locator("#lp-module-trainer-toggle").click()
            trainer.locator("#lp-module-plan input").click()
            trainer.get_by_role("option", name=title).click()
            trainer.locator("#lp-module-start").click()
            trainer.locator("#lp-module-view").get_by_text("Trin 1 af 8").wait_for(timeout=QUICK)
            trainer.locator("#lp-module-next").click()
            trainer.locator("#lp-module-view").get_by_text("Trin 2 af 8").wait_for(timeout=QUICK)

            log_in(participant, address, "kursist-nord")
            participant.get_by_role("tab", name="Øvelser").click()
            current = participant.locator("#lp-module-view .lp-step-current")
            expect(current).to_contain_text("Nu: Første skridt", timeout=QUICK)
            assert not participant.locator("#lp-module-trainer-toggle").is_visible(), "participants do not steer"
            card = get_card("mail-forste-skridt")
            participant.locator("#lp-module-cards").get_by_label(card.title).check()
            participant.locator("#lp-card").get_by_text(card.title).first.wait_for(timeout=QUICK)
            participant.locator("#lp-run-exercise").click()
            participant.get_by_text(f"Færdig: «{card.title}».").wait_for(timeout=SLOW)

            trainer.locator("#lp-module-next").click()  # the participant's tab follows on its own
            expect(current).to_contain_text("Nu: Samme spørgsmål – forskellige svar", timeout=QUICK)
            shoot(participant, "12-modul-deltager")
            trainer.locator("#lp-module-trainer-name").get_by_label("Underviserens navn (valgfrit)").fill("Anne Holm")
            trainer.locator("#lp-module-finish").click()
            markdown_button = trainer.get_by_role("button", name="Hent dokumentationen (Markdown)")
            markdown_button.wait_for(timeout=QUICK)
            shoot(trainer, "13-modul-underviser")
            with trainer.expect_download() as saved:
                markdown_button.click()
            record = Path(saved.value.path()).read_text(encoding="utf-8")
            with trainer.expect_download() as saved:
                trainer.get_by_role("button", name="Hent dokumentationen (CSV)").click()
            table = Path(saved.value.path()).read_text(encoding="utf-8-sig")
            expect(participant.locator("#lp-module-view")).to_contain_text("er afsluttet", timeout=QUICK)

            participant.locator("#lp-journal-toggle").click()
            participant.locator("#lp-journal-export").click()
            with participant.expect_download() as saved:
                participant.get_by_role("button", name="Hent læringsloggen (Markdown)").click()
            journal = Path(saved.value.path()).read_text(encoding="utf-8")
    finally:
        for context in contexts:
            context.close()
    assert f"- **Modul:** {title}" in record and "- **Underviser:** Anne Holm" in record
    assert "- **Deltagere:** 1 " in record, "the participant ran a card; the trainer is not counted"
    assert "1. Velkomst, formål og rammer" in record and "3. Samme spørgsmål – forskellige svar" in record
    assert " ".join(card.learning_goal.split()) in record
    assert "kursist" not in record + table, "no participant names"
    rows = list(csv.DictReader(io.StringIO(table), delimiter=";"))
    assert [row["Øvelse"] for row in rows] == ["mail-forste-skridt", "tilfaeldighed-borgermail"]
    assert {row["Deltagere"] for row in rows} == {"1"} and {row["Underviser"] for row in rows} == {"Anne Holm"}
    done = journal.split("## Øvelser, jeg har gennemført", 1)[1]
    assert f"- **{card.title}** (`{card.id}`)" in done


def test_the_idebank_filters_narrow_the_list(page: Any, url: str, shoot: Shoot) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Øvelser").click()
    page.locator("#lp-idebank-toggle").click()
    listing = page.locator("#lp-idebank-list")
    expect(listing.locator(".lp-idebank-count")).to_have_text("Viser 63 af 63 idéer.", timeout=QUICK)
    bank = load_idebank()
    area = next(a for a in bank.areas if a.id == "resume")
    page.locator("#lp-idebank-area input").click()
    page.get_by_role("option", name=area.title).click()
    in_area = bank.matching(area.id)
    expect(listing.locator(".lp-idebank-count")).to_have_text(f"Viser {len(in_area)} af 63 idéer.", timeout=QUICK)
    page.locator("#lp-idebank-horizons").get_by_label(HORIZONS["nu"]).check()
    narrowed = bank.matching(area.id, (), ("nu",))
    assert len(narrowed) < len(in_area)
    expect(listing.locator(".lp-idebank-count")).to_have_text(f"Viser {len(narrowed)} af 63 idéer.", timeout=QUICK)
    expect(listing.locator(".lp-idea")).to_have_count(len(narrowed))
    assert [title.split(" ", 1)[0] for title in listing.locator(".lp-idea h4").all_inner_texts()] == [
        idea.id for idea in narrowed
    ]
    shoot(page, "14-idebank")


def test_a_conversation_continues_and_starts_over(page: Any, url: str, pipeline: Pipeline, shoot: Shoot) -> None:
    """A follow-up sees the first turn, masked; "Ny samtale" starts over."""
    status, earlier, context = page.locator("#lp-status"), page.locator("#lp-earlier"), page.locator("#lp-context")
    write_prompt(page, url, "Skriv et brev til Mette Hansen om boligstøtte.", 8)
    expect(context).to_contain_text("Samtalen fylder 0 af de 4.096 tokens", timeout=QUICK)
    page.locator("#lp-send").click()
    status.get_by_text("Færdig.").wait_for(timeout=SLOW)
    expect(earlier).to_contain_text("+ 2 tidligere beskeder i samtalen", timeout=QUICK)
    prompt = page.locator("#lp-prompt textarea")
    prompt.fill("Gør brevet til Mette Hansen kortere.")
    page.locator("#lp-send").click()
    page.locator("#lp-meta").get_by_text("Samtale: tur 2").wait_for(timeout=SLOW)
    expect(status).to_contain_text("Færdig.")
    expect(page.locator("#lp-conversation")).to_contain_text("Skriv et brev til [PERSON_1] om boligstøtte.")
    expect(earlier).to_contain_text("+ 4 tidligere beskeder i samtalen", timeout=QUICK)
    [entry] = pipeline.log.entries(limit=1)
    assert [m["content"] for m in entry["messages"]][::2] == [
        "Skriv et brev til [PERSON_1] om boligstøtte.",
        "Gør brevet til [PERSON_1] kortere.",
    ], "the follow-up reached the model after the first turn, masked"
    shoot(page, "15-samtale")
    page.locator("#lp-new").click()
    status.get_by_text("Ny samtale.").wait_for(timeout=QUICK)
    expect(earlier).to_be_empty(timeout=QUICK)
    expect(page.locator("#lp-conversation")).to_be_empty()
    page.locator("#lp-send").click()
    page.locator("#lp-meta").get_by_text("Samtale: tur 1").wait_for(timeout=SLOW)
    [entry] = pipeline.log.entries(limit=1)
    assert len(entry["messages"]) == 1 and entry["turn"] == 1


SMALL_CONTEXT = 512


@pytest.fixture(scope="module")
def small_context_url(pipeline: Pipeline, demo_model_path: Path) -> Iterator[str]:
    """The app with a small context, so a conversation fills it with a few hundred tokens."""
    backend = LlamaBackend(demo_model_path, name="demo", demo=True, n_ctx=SMALL_CONTEXT, slots=1)
    with running_app(Pipeline(backend, pipeline.guard, pipeline.log)) as (address, _):
        yield address


def test_a_conversation_warns_before_it_is_full_and_refuses_what_would_not_fit(
    page: Any, small_context_url: str, pipeline: Pipeline, shoot: Shoot
) -> None:
    status, context = page.locator("#lp-status"), page.locator("#lp-context")
    sentence = "Borgeren ønsker hjælp til sin sag om boligstøtte. "
    per_sentence = pipeline._backend.count_tokens([Message("user", sentence * 20)]) / 20
    write_prompt(page, small_context_url, sentence * int(0.8 * SMALL_CONTEXT / per_sentence), 8)
    page.locator("#lp-send").click()
    status.get_by_text("Færdig.").wait_for(timeout=SLOW)
    expect(context).to_contain_text("Samtalen er næsten fuld", timeout=QUICK)
    box = page.locator("#lp-max-tokens input[type=number]")  # "Indstillinger" is open since write_prompt
    box.fill("256")
    box.press("Enter")
    expect(context).to_contain_text("Samtalen er fuld.", timeout=QUICK)
    page.locator("#lp-prompt textarea").fill("Gør brevet kortere.")
    before = pipeline.log.entries(limit=1)[0]["id"]
    page.locator("#lp-send").click()
    status.get_by_text("Samtalen er blevet for lang til modellen").wait_for(timeout=SLOW)
    expect(status).to_contain_text("Tryk «Ny samtale»")
    # The turn the refused prompt would have followed stays on screen: the user sees what the model has.
    expect(page.locator("#lp-answer .lp-answer")).not_to_have_class(re.compile("lp-empty"))
    assert pipeline.log.entries(limit=1)[0]["id"] == before, "the turn that would not fit was not sent"
    shoot(page, "16-samtale-fuld")
    page.locator("#lp-new").click()
    expect(context).not_to_contain_text("fuld", timeout=QUICK)
