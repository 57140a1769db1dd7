"""One tab's server-side state: Send, Stop and Nulstil in every order a person can press them."""

from __future__ import annotations

import copy

from sandbox.backends.base import GenerationParams
from sandbox.pipeline import Pipeline, Request
from sandbox.ui.state import HISTORY_LENGTH, Visit, discard


def test_a_second_send_is_refused_until_the_first_finishes() -> None:
    visit = Visit()
    assert visit.accept()
    assert not visit.accept()
    visit.finish()
    assert visit.accept()


def test_stop_counts_while_waiting_and_only_then() -> None:
    visit = Visit()
    assert visit.stop() is False and not visit.cancel.is_set(), "nothing to stop"
    visit.accept()
    assert visit.stop() is True
    visit.begin()  # the call's turn in the queue comes after Stop was pressed
    assert visit.cancel.is_set(), "a Stop pressed while waiting still stops it"
    visit.finish()
    assert not visit.cancel.is_set() and not visit.pending


def test_api_calls_without_a_press_start_clean() -> None:
    visit = Visit()
    visit.begin()
    assert visit.pending and not visit.cancel.is_set()


def test_reset_forgets_everything_and_ignores_a_late_answer(pipeline: Pipeline) -> None:
    visit = Visit()
    old_session = visit.session
    request = Request("Hej Mette Hansen.", GenerationParams(max_tokens=8), conversation=visit.conversation)
    result = pipeline.ask(request, old_session)
    visit.remember(old_session, request, result)
    assert visit.last is result and len(visit.history) == 1
    assert old_session.vault.knows("[PERSON_1]")
    visit.reset()
    assert visit.session is not old_session and not visit.session.vault.knows("[PERSON_1]")
    assert visit.last is None and visit.history == []
    visit.remember(old_session, request, result)
    assert visit.last is None and visit.history == [], "an answer that was under way at Nulstil is not kept"


def test_history_is_bounded_and_newest_first(pipeline: Pipeline) -> None:
    visit = Visit()
    request = Request("Skriv ét ord.", GenerationParams(max_tokens=8), conversation=visit.conversation)
    result = pipeline.ask(request, visit.session)
    for _ in range(HISTORY_LENGTH + 5):
        visit.remember(visit.session, request, result)
    assert len(visit.history) == HISTORY_LENGTH
    assert visit.history[0].time >= visit.history[-1].time


def test_gradio_copies_are_the_same_tab_and_discard_drops_the_vault() -> None:
    visit = Visit()
    session = visit.session
    session.vault.placeholder("PERSON", "Mette Hansen")
    assert copy.deepcopy(visit) is visit
    discard(visit)
    assert visit.session is not session and len(visit.session.vault) == 0
    discard(None)


def test_a_send_still_waiting_at_nulstil_stops_before_anything_is_sent() -> None:
    """Reset used to clear the mark, and the waiting call's start cleared the stop: the forgotten prompt went out."""
    visit = Visit()
    assert visit.accept()  # Send pressed; the call waits in the queue
    visit.reset()
    assert visit.cancel.is_set(), "the waiting call is asked to stop"
    assert not visit.accept(), "a new Send waits until the stopped call has ended"
    visit.begin()  # the waiting call's turn comes
    assert visit.cancel.is_set(), "it stops before anything is sent under the new pseudonym"
    visit.finish()
    assert visit.accept(), "then the tab sends again"


def test_new_conversation_keeps_the_vault_and_ignores_a_late_answer(pipeline: Pipeline) -> None:
    visit = Visit()
    request = Request("Hej Mette Hansen.", GenerationParams(max_tokens=8), conversation=visit.conversation)
    result = pipeline.ask(request, visit.session)
    visit.remember(visit.session, request, result)
    assert len(visit.conversation.earlier) == 2 and visit.conversation.turn == 2
    old = visit.conversation
    visit.new_conversation()
    assert visit.conversation.id != old.id and visit.conversation.earlier == ()
    assert visit.last is None and visit.last_request is None, "Kør igen belongs to the conversation left"
    assert visit.session.vault.knows("[PERSON_1]") and len(visit.history) == 1
    visit.remember(visit.session, request, result)
    assert visit.conversation.earlier == (), "an answer from the conversation left does not join the new one"
