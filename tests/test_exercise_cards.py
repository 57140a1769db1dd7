"""The exercise data: every card validates, and the content covers what the issue asks for."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.exercises import get_card, load_cards, load_hearing, load_idebank, load_programme, validate
from sandbox.exercises.catalog import CARDS_DIR, ExerciseDataError, read_card
from sandbox.exercises.render import card_markdown
from sandbox.exercises.schema import MINDSETS, Card, danish_errors
from sandbox.exercises.settings import RUNNER_SETTINGS, PrivatlivSettings, placeholders

CARDS = load_cards()


def test_all_bundled_data_validates() -> None:
    assert validate() == []


def test_at_least_fourteen_cards_with_unique_ids_named_after_their_files() -> None:
    assert len(CARDS) >= 14
    assert len({card.id for card in CARDS}) == len(CARDS)
    assert sorted(p.stem for p in CARDS_DIR.glob("*.toml")) == sorted(card.id for card in CARDS)


@pytest.mark.parametrize("card", CARDS, ids=lambda card: card.id)
def test_card_is_complete(card: Card) -> None:
    settings = card.settings()
    assert isinstance(settings, RUNNER_SETTINGS[card.runner.name])
    assert any(r.focus in ("borger", "sagsbehandling") for r in card.reflection)
    assert "opdigte" in card.material.note.lower(), "material must say it is invented"
    assert len(card.steps) >= 2 and card.notice and card.rule_of_thumb and card.trainer_notes
    markdown = card_markdown(card, trainer=True)
    assert card.title in markdown and "Noter til underviseren" in markdown


@pytest.mark.parametrize("use_case", ["sagsresume", "klart-sprog", "hoeringssvar"])
def test_headline_use_cases_in_at_least_two_job_areas(use_case: str) -> None:
    cards = [card for card in CARDS if card.use_case == use_case]
    assert len(cards) >= 2
    assert len({area for card in cards for area in card.job_areas}) >= 2


def test_phenomena_are_covered() -> None:
    counts = Counter(card.category for card in CARDS)
    for category in ("hallucination", "tilfaeldighed", "bias"):
        assert counts[category] >= 2, category
    for category in ("black-box", "privatliv", "laesbarhed"):
        assert counts[category] >= 1, category
    assert {card.runner.name for card in CARDS} == set(RUNNER_SETTINGS), "every runner is used by a card"


def test_bias_cards_cover_the_attributes_the_report_names() -> None:
    attributes = {card.settings().attribute for card in CARDS if card.category == "bias"}  # type: ignore[attr-defined]
    assert {"køn", "etnisk eller national baggrund", "handicap"} <= attributes


@pytest.mark.parametrize("card", CARDS, ids=lambda card: card.id)
def test_cards_show_what_fills_a_slot_not_the_slot(card: Card) -> None:
    markdown = card_markdown(card, trainer=True)
    assert placeholders(markdown) == set(), "a reader cannot know what {materiale} or {person} means"


def test_slots_read_as_what_goes_there() -> None:
    assert "> (teksten under «Materiale»)" in card_markdown(get_card("laesbarhed-webtekst"))
    bias = card_markdown(get_card("bias-koen"))
    assert "til «en 45-årig kvinde» / «en 45-årig mand», der har været ledig" in bias


def test_privacy_key_is_in_the_material() -> None:
    card = get_card("privatliv-journalnotat")
    settings = card.settings()
    assert isinstance(settings, PrivatlivSettings)
    assert len(settings.expected) >= 5
    assert all(item in card.material.text for item in settings.expected)


def test_idebank_has_the_reports_63_use_cases_linking_to_existing_cards() -> None:
    bank = load_idebank()
    assert len(bank.ideas) == 63
    per_group = Counter(idea.id.split(".")[0] for idea in bank.ideas)
    assert [per_group[str(n)] for n in range(1, 10)] == [11, 4, 5, 7, 7, 6, 11, 7, 5]
    ids = {card.id for card in CARDS}
    assert all(link in ids for idea in bank.ideas for link in idea.cards)
    linked = {link for idea in bank.ideas for link in idea.cards}
    assert linked == ids, "every card is reachable from the idébank"
    assert {h for idea in bank.ideas for h in idea.horizon} == {"nu", "plan", "fremtid"}
    assert {g for idea in bank.ideas for g in idea.gains} == {"tid", "kvalitet", "service"}


def test_every_mindset_has_a_path_of_cards_that_suit_it() -> None:
    programme = load_programme()
    assert sorted(p.mindset for p in programme.paths) == sorted(MINDSETS)
    for path in programme.paths:
        for card_id in path.cards:
            assert path.mindset in get_card(card_id).mindsets
    # A safe, error-tolerant start for the worried; open play for the opportunity seekers.
    worried = next(p for p in programme.paths if p.mindset == "bekymrede")
    assert get_card(worried.cards[0]).id == "mail-forste-skridt"
    seekers = next(p for p in programme.paths if p.mindset == "mulighedssoegende")
    assert "prompt-vaerksted" in seekers.cards


def test_module_plan_fills_three_hours() -> None:
    module = load_programme().module
    assert module.minutes == 180 == sum(item.minutes for item in module.agenda)


def test_hearing_set_and_key() -> None:
    hearing = load_hearing("lokalplan-moellebakken")
    assert len(hearing.responses) == 20
    covered = {n for theme in hearing.themes for n in theme.responses}
    assert covered == set(range(1, 21)), "every response is in at least one theme of the key"
    assert sum(theme.minority for theme in hearing.themes) >= 2


def test_unknown_card_and_hearing_give_danish_messages() -> None:
    with pytest.raises(ExerciseDataError, match="findes ikke. Kendte øvelser"):
        get_card("findes-ikke")
    with pytest.raises(ExerciseDataError, match="Høringen 'nej' findes ikke"):
        load_hearing("nej")


def _card_data() -> dict:
    return tomllib.loads((CARDS_DIR / "bias-koen.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(reflection=[{"focus": "dig", "question": "Hvad tænker du?"},
                                        {"focus": "teknologi", "question": "Og nu?"}]),
         "borgeren eller sagsbehandlingen"),
        (lambda d: d["runner"].update(name="gentag"), "bruger runneren par"),
        (lambda d: d["runner"]["settings"]["variants"][1]["values"].update(alder="50"), "skal udfylde præcis"),
        (lambda d: d["runner"]["settings"].update(repeats=0), "repeats: er for lille"),
        (lambda d: d.update(mindsets=["optimisterne"]), "mindsets.0: har en ukendt værdi"),
        (lambda d: d.update(colour="rød"), "colour: er ikke et kendt felt"),
        (lambda d: d.pop("learning_goal"), "learning_goal: mangler"),
    ],
)
def test_broken_cards_are_explained_in_danish(change, message: str) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    data = _card_data()
    change(data)
    with pytest.raises(ValidationError) as caught:
        Card.model_validate(data)
    assert any(message in line for line in danish_errors(caught.value)), danish_errors(caught.value)


def test_material_placeholder_needs_material(tmp_path: Path) -> None:
    text = (CARDS_DIR / "brev-boligstoette.toml").read_text(encoding="utf-8")
    start = text.index('text = """', text.index("[material]"))
    end = text.index('"""', start + 10) + 3
    broken = tmp_path / "brev-boligstoette.toml"
    broken.write_text(text[:start] + 'text = ""' + text[end:], encoding="utf-8")
    with pytest.raises(ExerciseDataError, match="material.text er tom"):
        read_card(broken)


def test_file_must_be_named_after_the_card(tmp_path: Path) -> None:
    other = tmp_path / "andet-navn.toml"
    other.write_text((CARDS_DIR / "bias-koen.toml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ExerciseDataError, match="skal hedde bias-koen.toml"):
        read_card(other)


def test_cli_lists_shows_and_validates() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["exercises", "list", "--mindset", "mulighedssoegende"])
    assert listed.exit_code == 0
    assert "prompt-vaerksted" in listed.output and "mail-forste-skridt" not in listed.output
    shown = runner.invoke(main, ["exercises", "show", "privatliv-journalnotat"])
    assert shown.exit_code == 0 and "## Det skal du lægge mærke til" in shown.output
    assert "Noter til underviseren" not in shown.output
    missing = runner.invoke(main, ["exercises", "show", "nej"])
    assert missing.exit_code == 1 and "Fejl: Øvelsen 'nej' findes ikke" in missing.output
    valid = runner.invoke(main, ["exercises", "validate"])
    assert valid.exit_code == 0 and f"Alle {len(CARDS)} kort" in valid.output
    ideas = runner.invoke(main, ["exercises", "ideas", "--horizon", "plan"])
    assert ideas.exit_code == 0 and "* 4.5" not in ideas.output and "1.4" in ideas.output
