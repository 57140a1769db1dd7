"""Saved runs: recorded through the CLI on the real demo model, checked on load, shown under their label."""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import gradio as gr
import pytest
from click.testing import CliRunner

from sandbox import models
from sandbox.cli import main
from sandbox.exercises import get_card, recording
from sandbox.exercises.recording import RecordingError
from sandbox.exercises.runners.sandsynligheder import SandsynlighederResult
from sandbox.pipeline import Pipeline
from sandbox.ui import recording_panel

CARD = "blackbox-afgoerelse"  # one short answer with probabilities: the quickest card to record


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of CARD recorded with the demo model by ``legeplads exercises record``."""
    path = tmp_path_factory.mktemp("optagelser") / f"{CARD}--demo.json"
    outcome = CliRunner().invoke(main, ["exercises", "record", CARD, "--ud", str(path)])
    assert outcome.exit_code == 0, outcome.output
    assert "Optaget med " in outcome.output and str(path) in outcome.output
    return path


@pytest.fixture
def copy(recorded: Path, tmp_path: Path) -> Path:
    target = tmp_path / recorded.name
    shutil.copy(recorded, target)
    return target


def rewrite(path: Path, change: Callable[[dict], object], keep_checksum: bool) -> None:
    """Edit the file's JSON; re-sign it as the app would (``keep_checksum=False``) or leave the old checksum."""
    data = json.loads(path.read_text(encoding="utf-8"))
    checksum = data.pop("checksum")
    change(data)
    signed = checksum if keep_checksum else recording.checksum(data)
    path.write_text(json.dumps({"checksum": signed, **data}), encoding="utf-8")


def test_a_recorded_run_loads_with_model_hash_seeds_and_log_ids(
    recorded: Path, pipeline: Pipeline, demo_model_path: Path
) -> None:
    saved = recording.load(recorded, pipeline.guard)
    rec = saved.recording
    assert isinstance(saved.result, SandsynlighederResult)
    assert not saved.card_changed
    assert rec.card.id == CARD and rec.card.content_sha256 == recording.card_sha256(get_card(CARD))
    assert rec.model.sha256 == models.file_sha256(demo_model_path) and len(rec.model.sha256) == 64
    assert rec.model.demo
    assert rec.label == f"Optaget med {rec.model.name} den {recording.danish_date(rec.when)}"
    [call] = rec.calls
    # The answer shown is the one the model produced, and its tokens (with probabilities) spell it.
    assert saved.result.answer.text == call.answer
    assert saved.result.answer.seed == call.seed == call.params["seed"]
    assert call.tokens is not None and "".join(t for t, _ in call.tokens).strip() == call.answer
    assert all(p is not None and 0 < p <= 1 for _, p in call.tokens)
    assert call.log_id is not None and saved.result.answer.log_id == call.log_id
    assert rec.settings == get_card(CARD).settings().model_dump(mode="json")


def test_a_hand_edited_answer_is_refused_in_danish(copy: Path, pipeline: Pipeline) -> None:
    rewrite(copy, lambda data: data["calls"][0].update(answer="Et bedre svar, skrevet i hånden."), keep_checksum=True)
    with pytest.raises(RecordingError, match="ændret efter optagelsen"):
        recording.load(copy, pipeline.guard)


def test_a_run_of_an_unknown_card_is_refused(copy: Path, pipeline: Pipeline) -> None:
    rewrite(copy, lambda data: data["card"].update(id="findes-ikke"), keep_checksum=False)
    with pytest.raises(RecordingError, match="'findes-ikke', som ikke findes her"):
        recording.load(copy, pipeline.guard)


def test_a_changed_card_is_shown_with_a_note(copy: Path, pipeline: Pipeline) -> None:
    rewrite(copy, lambda data: data["card"].update(content_sha256="0" * 64), keep_checksum=False)
    saved = recording.load(copy, pipeline.guard)
    assert saved.card_changed
    assert "Øvelseskortet er ændret, siden kørslen blev optaget" in recording_panel.saved_view(saved)


def test_wrong_types_are_refused_even_with_a_valid_checksum(copy: Path, pipeline: Pipeline) -> None:
    rewrite(copy, lambda data: data["calls"][0].update(seed="42"), keep_checksum=False)
    with pytest.raises(RecordingError, match="følger ikke formatet"):
        recording.load(copy, pipeline.guard)
    rewrite(copy, lambda data: data["calls"][0].update(seed=42), keep_checksum=False)
    rewrite(copy, lambda data: data["result"]["answer"].update(seed="42"), keep_checksum=False)
    with pytest.raises(RecordingError, match=r"resultat\.answer\.seed.*optag øvelsen igen"):
        recording.load(copy, pipeline.guard)


def test_an_answer_the_guard_would_mask_is_refused(copy: Path, pipeline: Pipeline) -> None:
    def plant(data: dict) -> None:
        data["calls"][0].update(answer="Borgeren Mette Hansen har CPR 150385-1234.", tokens=None)

    rewrite(copy, plant, keep_checksum=False)
    with pytest.raises(RecordingError, match="værnet ikke godkender"):
        recording.load(copy, pipeline.guard)


def test_personal_data_anywhere_in_the_result_is_refused(copy: Path, pipeline: Pipeline) -> None:
    """Not only the answers: a summary (or a span, a prompt) holding a name and a CPR number refuses the file."""
    rewrite(copy, lambda data: data["result"].update(summary="Borgeren Mette Hansen, CPR 150385-1234."), False)
    with pytest.raises(RecordingError, match="værnet ikke godkender"):
        recording.load(copy, pipeline.guard)


def test_a_recording_holds_only_what_the_guard_lets_by_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    """The privacy card's result holds the material as typed and the answer with names put back: masked in the file."""
    path = tmp_path / "privatliv.json"
    outcome = CliRunner().invoke(main, ["exercises", "record", "privatliv-journalnotat", "--ud", str(path)])
    assert outcome.exit_code == 0, outcome.output
    saved = json.loads(path.read_text(encoding="utf-8"))
    # The card's own settings name the values it expects the guard to catch; what the run produced must not.
    produced = json.dumps([saved["result"], saved["calls"]], ensure_ascii=False)
    for secret in ("030352-1217", "susanne.frandsen@mail.dk", "28 41 93 07", "Ole Kristian Frandsen"):
        assert secret not in produced
    assert "[CPR_1]" in saved["result"]["caught"] and saved["result"]["restored"] == saved["result"]["answer"]["text"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_file_over_the_size_limit_is_refused(copy: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording, "MAX_BYTES", 1_000)
    with pytest.raises(RecordingError, match="for stor"):
        recording.load(copy, pipeline.guard)


def test_the_card_lists_its_runs_and_names_a_refused_one(copy: Path, pipeline: Pipeline, tmp_path: Path) -> None:
    broken = tmp_path / f"{CARD}--rettet.json"
    shutil.copy(copy, broken)
    rewrite(broken, lambda data: data.update(app_version="9.9"), keep_checksum=True)
    found, notes = recording.for_card(CARD, tmp_path, pipeline.guard)
    assert [saved.path for saved in found] == [copy]
    assert len(notes) == 1 and broken.name in notes[0]
    assert recording.for_card("privatliv-journalnotat", tmp_path, pipeline.guard) == ([], [])


def test_the_view_is_labelled_with_model_and_danish_date(copy: Path, pipeline: Pipeline) -> None:
    rewrite(copy, lambda data: data.update(recorded_at="2026-03-05T09:30:00+01:00"), keep_checksum=False)
    saved = recording.load(copy, pipeline.guard)
    view = recording_panel.saved_view(saved)
    assert f"Optaget med {saved.recording.model.name} den 5. marts 2026" in view
    assert saved.recording.model.sha256 in view
    assert str(saved.recording.calls[0].log_id) in view


def test_replay_streams_the_saved_tokens_and_nothing_else(
    copy: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recording_panel, "PACE", 0)
    monkeypatch.setattr(recording_panel, "REDRAW", 0)  # every token drawn, to check each frame
    monkeypatch.setattr(recording, "folder", lambda: copy.parent)
    panel = recording_panel.RecordingPanel(pipeline.guard)
    frames = list(panel.on_play(CARD, copy.name))
    [call] = recording.load(copy, pipeline.guard).recording.calls
    assert len(frames) == len(call.tokens) + 1
    assert 'data-finished="true"' in frames[-1] and "Afspilning færdig." in frames[-1]
    for count, frame in enumerate(frames[:-1], start=1):
        assert html.escape("".join(text for text, _ in call.tokens[:count])) in frame
    assert html.escape("".join(text for text, _ in call.tokens)) in frames[-1]
    # A name that is not in the card's list is never read, whatever file it names.
    assert list(panel.on_play(CARD, "../../etc/passwd")) == [""]


def test_replays_run_a_few_at_a_time_and_redraw_ten_times_a_second(
    copy: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A room pressing Afspil together must not take the worker threads and CPU the live answers need."""
    panel = recording_panel.RecordingPanel(pipeline.guard)
    with gr.Blocks() as blocks:
        panel.build(gr.Dropdown([CARD]))
    [play] = [fn for fn in blocks.fns.values() if fn.fn == panel.on_play]
    assert (play.concurrency_id, play.concurrency_limit) == ("replay", recording_panel.REPLAYS_AT_ONCE)

    monkeypatch.setattr(recording_panel, "PACE", 0)
    monkeypatch.setattr(recording_panel, "REDRAW", 3600)  # a slow clock: only the first frame and the last
    monkeypatch.setattr(recording, "folder", lambda: copy.parent)
    frames = list(panel.on_play(CARD, copy.name))
    assert len(frames) == 2 and 'data-finished="true"' in frames[-1]


def test_danish_date() -> None:
    assert recording.danish_date(datetime(2026, 12, 1)) == "1. december 2026"


def test_a_time_without_its_zone_is_refused(copy: Path, pipeline: Pipeline) -> None:
    rewrite(copy, lambda data: data.update(recorded_at="2026-12-01T10:00:00"), keep_checksum=False)
    with pytest.raises(RecordingError, match="tidszone"):
        recording.load(copy, pipeline.guard)
