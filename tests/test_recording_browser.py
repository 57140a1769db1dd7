"""A saved run in the workshop, in a real browser: shown beside the live run under its label, and replayed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_ui_browser import QUICK, browser, page, url  # noqa: F401 - the browser fixtures

from sandbox.exercises import get_card, recording
from sandbox.pipeline import Pipeline, Session

CARD = "blackbox-afgoerelse"


@pytest.fixture(scope="module")
def saved_run(pipeline: Pipeline) -> Iterator[recording.Recording]:
    """A run of CARD recorded on the demo model and saved where the app looks, removed afterwards."""
    made = recording.record(get_card(CARD), pipeline, Session())
    path: Path = recording.save(made, recording.default_path(made))
    yield made
    path.unlink()


def test_the_card_shows_its_saved_run_and_replays_it(page: Any, url: str, saved_run: recording.Recording) -> None:  # noqa: F811
    page.goto(f"{url}?ovelse={CARD}")
    view = page.locator("#lp-recording-view")
    expect(view).to_contain_text(saved_run.label, timeout=QUICK)
    expect(view).to_contain_text(saved_run.model.sha256 or "", timeout=QUICK)
    page.locator("#lp-replay").click()
    replay = page.locator("#lp-replay-view")
    expect(replay.locator('[data-finished="true"]')).to_contain_text("Afspilning færdig.", timeout=QUICK)
    expect(replay).to_contain_text(" ".join(saved_run.calls[0].answer.split()), timeout=QUICK)
