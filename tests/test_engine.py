"""Answers decoded together: reproducible where promised, stopped one at a time, prompts evaluated once.

All on the real demo model through llama.cpp's batch API. What is measured
here is what sandbox/backends/engine.py documents: a row's numbers depend on
how many rows one decode computes, so groups and fixed seeds are decoded
apart from strangers and give the same answers whoever else is busy.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sandbox.audit import AuditLog
from sandbox.backends.base import Finished, GenerationParams, Message, Token
from sandbox.backends.engine import NEAR_MOST, NEAR_WIDTHS, Step, _pads, softmax_top
from sandbox.backends.llama import LlamaBackend
from sandbox.pipeline import Pipeline, Request, Session

PROMPT = (Message("user", "Skriv et kort brev til en borger om boligstøtte."),)
OTHER = (Message("user", "Fortæl en lang historie om en kommune."),)


@pytest.fixture(scope="module")
def backend(demo_model_path: Path) -> Iterator[LlamaBackend]:
    own = LlamaBackend(demo_model_path, name="demo", demo=True, n_ctx=1024, slots=8)
    yield own
    own.close()


def answer(
    backend: LlamaBackend,
    messages: Sequence[Message],
    params: GenerationParams,
    seed: int,
    cancel: threading.Event | None = None,
    after: int | None = None,
) -> tuple[str, Finished]:
    """One streamed answer; with ``after``, press Stop once that many tokens have come."""
    cancel = cancel or threading.Event()
    pieces: list[str] = []
    finished = None
    for item in backend.stream(messages, params, seed, cancel):
        if isinstance(item, Finished):
            finished = item
        else:
            pieces.append(item.text)
            if after is not None and len(pieces) == after:
                cancel.set()
    assert finished is not None
    return "".join(pieces), finished


def group(
    backend: LlamaBackend, seeds: Sequence[int], max_tokens: int = 32, *, steady: bool = False
) -> tuple[list[str], list[Finished]]:
    texts = [""] * len(seeds)
    ends: list[Finished | None] = [None] * len(seeds)
    calls = [(PROMPT, GenerationParams(max_tokens=max_tokens, seed=seed), seed) for seed in seeds]
    for index, item in backend.stream_group(calls, threading.Event(), steady=steady):
        if isinstance(item, Token):
            texts[index] += item.text
        else:
            ends[index] = item
    assert all(ends)
    return texts, ends  # type: ignore[return-value]


def strangers(
    backend: LlamaBackend, count: int, max_tokens: int = 48, *, admitted: bool = False
) -> tuple[list[threading.Thread], list]:
    """``count`` random-seed requests of another prompt, running in the background.

    With ``admitted``, return once each has its first token, so they hold
    the lowest slots when the caller's request comes.
    """
    results: list = []
    first = [threading.Event() for _ in range(count)]

    def ask(index: int) -> None:
        pieces = []
        params = GenerationParams(max_tokens=max_tokens, temperature=1.0)
        for item in backend.stream(OTHER, params, 100 + index, threading.Event()):
            first[index].set()
            pieces.append(item)
        results.append(pieces)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    if admitted:
        assert all(event.wait(120) for event in first)
    return threads, results


@pytest.mark.parametrize("seeds", [(1, 2, 3), (1, 2, 3, 4, 5)])
def test_a_group_gives_the_same_answers_whoever_else_is_busy(backend: LlamaBackend, seeds: tuple[int, ...]) -> None:
    """Also where the group's odd pass gets a pad row: the pad slot is the group's own, never a stranger's.

    Three strangers hold slots 0-2 when five members come (and five when
    three come), so no slot is free beside the group's run: a pad taken
    from the free slots would be missing here and change the answers
    (a pass of 3 rows and one of 4 compute different numbers).
    """
    alone, ends = group(backend, seeds)
    assert len(set(alone)) > 1, "different seeds, different answers"
    assert all(end.rows == len(seeds) for end in ends if end.completion_tokens > 1)
    threads, busy = strangers(backend, 8 - len(seeds), admitted=True)
    beside, _ = group(backend, seeds)
    for thread in threads:
        thread.join()
    assert beside == alone
    assert group(backend, seeds)[0] == alone, "and again, run after run"
    assert len(busy) == 8 - len(seeds)


def test_an_odd_pass_is_padded_to_an_even_one_the_answers_never_see_the_pad(backend: LlamaBackend) -> None:
    """A pass of 3 rows costs more than one of 4 on these kernels (see _pads); a group of 3 decodes 4."""
    prompt = backend._prompt_tokens(PROMPT)
    members = [(prompt, GenerationParams(max_tokens=16, seed=seed)) for seed in (1, 2, 3)]
    engine = backend._engine
    pads = engine.stats["pads"]
    rows: list[int] = []
    produced = [0, 0, 0]
    for index, item in engine.generate_group(members, threading.Event()):
        if isinstance(item, Step):
            rows.append(item.rows)
            produced[index] += 1
    assert produced == [16, 16, 16], "the demo model writes to the limit with these seeds"
    assert set(rows) == {3}, "the pad is not an answer"
    assert engine.stats["pads"] - pads == 16, "one pad row in every step"


@pytest.mark.parametrize(
    ("slots", "spare", "pads"),
    [
        ([0, 1, 2], [3, 4], [3]),  # after the pass
        ([1, 2, 3], [0, 5], [0]),  # before it, when the slot after is not spare
        ([0, 1, 2], [], []),  # no spare slot beside it: the pass stays odd
        ([0], [1], []),  # one row alone is cheaper than two
        ([0, 1], [2], []),
        ([0, 1, 2, 4, 5, 6], [3, 7], [3, 7]),  # the first pad joins the passes into one of 7, the second evens it
        ([0, 1, 2, 3, 4], [1, 5], [5]),  # a live slot is never a pad
    ],
)
def test_pads_go_beside_odd_passes_of_three_or_more(slots: list[int], spare: list[int], pads: list[int]) -> None:
    assert _pads(slots, spare) == pads


def test_the_same_seed_in_one_group_gives_the_same_answer(backend: LlamaBackend) -> None:
    """Gentag's fixed-seed series: five samples with one seed, decoded side by side."""
    texts, _ = group(backend, [42] * 5)
    assert len(set(texts)) == 1 and texts[0]


def test_a_fixed_seed_is_decoded_alone_and_comes_back_beside_others(backend: LlamaBackend) -> None:
    params = GenerationParams(max_tokens=32, seed=7)
    first, end = answer(backend, PROMPT, params, 7)
    threads, _ = strangers(backend, 4)
    again, end_again = answer(backend, PROMPT, params, 7)
    for thread in threads:
        thread.join()
    assert again == first and first
    assert end.rows == end_again.rows == 1


def test_random_seed_requests_are_decoded_together_and_greedy_ones_alone(backend: LlamaBackend) -> None:
    start = threading.Barrier(6)
    ends: dict[str, list[Finished]] = {"drawn": [], "greedy": []}

    def ask(seed: int, kind: str) -> None:
        start.wait()
        params = GenerationParams(max_tokens=48, temperature=0.7 if kind == "drawn" else 0.0)
        ends[kind].append(answer(backend, OTHER, params, seed)[1])

    threads = [threading.Thread(target=ask, args=(seed, "drawn")) for seed in range(4)]
    threads += [threading.Thread(target=ask, args=(seed, "greedy")) for seed in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(end.rows for end in ends["drawn"]) > 1, ends
    assert all(end.rows == 1 for end in ends["greedy"]), "greedy is the same answer whatever the seed: alone"


def test_stop_ends_only_its_own_sequence(backend: LlamaBackend) -> None:
    """Two participants decoded together; one presses Stop, the other's answer runs to its end."""
    start = threading.Barrier(2)
    got: dict[str, tuple[str, Finished]] = {}

    def ask(who: str, after: int | None) -> None:
        start.wait()
        params = GenerationParams(max_tokens=40, temperature=0.3, repeat_penalty=1.3)
        got[who] = answer(backend, OTHER, params, 1, after=after)

    threads = [threading.Thread(target=ask, args=("stopper", 3)), threading.Thread(target=ask, args=("reader", None))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stopped, kept = got["stopper"][1], got["reader"][1]
    assert stopped.reason == "cancelled" and stopped.completion_tokens == 3
    assert kept.reason in ("stop", "length") and kept.completion_tokens > 3
    assert kept.rows == 2, "the two were decoded together until the stop"


@contextlib.contextmanager
def every_slot_held(backend: LlamaBackend, free: int = 0) -> Iterator[None]:
    """Long greedy answers, each alone, hold every slot but ``free`` until the block ends.

    A request made meanwhile waits for a slot, so what it joins, and when,
    does not depend on how fast the machine is.
    """
    release = threading.Event()
    admitted = [threading.Event() for _ in range(backend.slots - free)]

    def hold(index: int) -> None:
        # Greedy answers to this prompt run to their limit; a limit each makes them eight sequences.
        params = GenerationParams(max_tokens=600 + index, temperature=0.0)
        for _ in backend.stream(OTHER, params, 0, release):
            admitted[index].set()

    threads = [threading.Thread(target=hold, args=(index,)) for index in range(len(admitted))]
    for thread in threads:
        thread.start()
    try:
        assert all(event.wait(120) for event in admitted)
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join()


def until(condition: Callable[[], bool]) -> None:
    """Wait for the engine's real state (polled), at most a minute."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the engine never got there"
        time.sleep(0.01)


def test_a_cards_drawn_seed_answers_take_slots_one_by_one_with_the_rooms(backend: LlamaBackend) -> None:
    """Seven slots held, one free: a card of drawn seeds is written in that one; as a group it waited for four."""
    done = threading.Event()
    ends: list[Finished] = []

    def card() -> None:
        calls = [(PROMPT, GenerationParams(max_tokens=16), 60 + i) for i in range(3)]
        ends.extend(item for _, item in backend.stream_group(calls, threading.Event()) if isinstance(item, Finished))
        done.set()

    thread = threading.Thread(target=card)
    with every_slot_held(backend, free=1):
        thread.start()
        written_while_held = done.wait(60)
    thread.join()
    assert written_while_held, "the card waited for a run of free slots"
    assert len(ends) == 3 and all(end.completion_tokens for end in ends)


def test_a_card_of_more_answers_than_slots_queues_a_slots_worth_at_a_time(backend: LlamaBackend) -> None:
    """Twelve drawn answers on 8 slots: 8 wait, the rest follow one per answer done; a question sent meanwhile
    is queued behind 8 of them, not 12."""
    engine = backend._engine
    ends: dict[str, list[Finished]] = {"card": [], "question": []}

    def card() -> None:
        calls = [(PROMPT, GenerationParams(max_tokens=4), 300 + i) for i in range(12)]
        ends["card"] += [
            item for _, item in backend.stream_group(calls, threading.Event()) if isinstance(item, Finished)
        ]

    def question() -> None:
        ends["question"].append(answer(backend, OTHER, GenerationParams(max_tokens=4), 9)[1])

    threads = [threading.Thread(target=card), threading.Thread(target=question)]
    with every_slot_held(backend):
        threads[0].start()
        until(lambda: engine.busy >= 2 * backend.slots)
        threads[1].start()
        until(lambda: engine.busy >= 2 * backend.slots + 1)
        queued = engine.busy
    for thread in threads:
        thread.join()
    assert queued == 2 * backend.slots + 1, "the holders, a slots' worth of the card, the question"
    assert len(ends["card"]) == 12 and len(ends["question"]) == 1


def test_a_group_of_no_calls_gives_nothing(backend: LlamaBackend) -> None:
    assert list(backend.stream_group([], threading.Event())) == []


def test_callers_asking_for_the_same_fixed_seed_answer_read_one_sequence(backend: LlamaBackend) -> None:
    """A room told "everyone, seed 5": written once, and each gets exactly the answer it gets alone."""
    engine = backend._engine
    params = GenerationParams(max_tokens=32, seed=5)
    alone = answer(backend, PROMPT, params, 5)
    shared = engine.stats["answers_shared"]
    got: list[tuple[str, Finished]] = []
    askers = [threading.Thread(target=lambda: got.append(answer(backend, PROMPT, params, 5))) for _ in range(3)]
    with every_slot_held(backend):
        for asker in askers:
            asker.start()
        until(lambda: engine.stats["answers_shared"] == shared + 2)
    for asker in askers:
        asker.join()
    assert got == [alone] * 3 and alone[0]
    other_seed = answer(backend, PROMPT, replace(params, seed=6), 6)
    assert other_seed[0] != alone[0], "another seed is another sequence"


def test_a_reader_who_stops_a_shared_answer_stops_only_their_own(backend: LlamaBackend) -> None:
    """The one who asked first presses Stop while both wait; the one who asked the same reads the whole answer."""
    engine = backend._engine
    params = GenerationParams(max_tokens=32, seed=9)
    alone = answer(backend, PROMPT, params, 9)
    shared = engine.stats["answers_shared"]
    got: dict[str, tuple[str, Finished]] = {}
    stop_first = threading.Event()
    first = threading.Thread(target=lambda: got.__setitem__("first", answer(backend, PROMPT, params, 9, stop_first)))
    second = threading.Thread(target=lambda: got.__setitem__("second", answer(backend, PROMPT, params, 9)))
    with every_slot_held(backend):
        first.start()
        until(lambda: engine.busy == backend.slots + 1)  # it waits for a slot: the sequence is the first's
        second.start()
        until(lambda: engine.stats["answers_shared"] == shared + 1)
        stop_first.set()
        first.join(60)
        assert not first.is_alive(), "Stop is heard while the answer still waits for a slot"
    second.join()
    assert got["first"] == ("", Finished("cancelled", alone[1].prompt_tokens, 0, 1))
    assert got["second"] == alone


def test_a_caller_who_asks_for_an_answer_being_written_gets_it_from_the_start(backend: LlamaBackend) -> None:
    """Joining late: what was written before is handed over first, then the rest as it comes."""
    engine = backend._engine
    params = GenerationParams(max_tokens=300, temperature=0.0)  # greedy: runs to its limit, ~10 s here
    shared = engine.stats["answers_shared"]
    started = threading.Event()
    got: dict[str, tuple[str, Finished]] = {}

    def first() -> None:
        pieces = []
        for item in backend.stream(OTHER, params, 0, threading.Event()):
            if isinstance(item, Finished):
                got["first"] = ("".join(pieces), item)
            else:
                pieces.append(item.text)
                if len(pieces) == 5:
                    started.set()

    writer = threading.Thread(target=first)
    writer.start()
    assert started.wait(60)
    got["late"] = answer(backend, OTHER, params, 0)
    writer.join()
    assert engine.stats["answers_shared"] == shared + 1, "the late caller read the answer being written"
    assert got["late"] == got["first"] and got["first"][1].completion_tokens == 300


def test_a_repeated_prompt_is_evaluated_once_and_answers_the_same(backend: LlamaBackend) -> None:
    engine = backend._engine
    prompt = (Message("user", "Hvad betyder ordet borgerservice? Svar kort."),)
    params = GenerationParams(max_tokens=16, seed=11)
    evaluated = engine.stats["prompts_evaluated"]
    reused = engine.stats["prompts_reused"]
    first, _ = answer(backend, prompt, params, 11)
    assert engine.stats["prompts_evaluated"] == evaluated + 1
    again, _ = answer(backend, prompt, params, 11)  # "Kør igen"
    assert engine.stats["prompts_evaluated"] == evaluated + 1, "the second run did not evaluate the prompt"
    assert engine.stats["prompts_reused"] == reused + 1
    assert again == first


CASE = (
    "Sagsnotat. Borgeren har søgt om hjælp til en trappelift, fordi hun efter en hofteoperation ikke kan gå "
    "op til sin lejlighed på tredje sal. Hun bor alene, og hendes datter hjælper med indkøb to gange om ugen. "
    "Ergoterapeuten har vurderet, at behovet er varigt, og at en flytning til en stueetage er et alternativ. "
) * 9


def _probed(backend: LlamaBackend, question: str) -> list[tuple[str, float | None, tuple]]:
    """A greedy answer about CASE with the probabilities of every token and its five best alternatives."""
    messages = (Message("user", f"{CASE}\nSpørgsmål: {question}"),)
    pieces: list[tuple[str, float | None, tuple]] = []
    for item in backend.stream(
        messages, GenerationParams(max_tokens=24, temperature=0.0, top_logprobs=5), 0, threading.Event()
    ):
        if isinstance(item, Token):
            pieces.append((item.text, item.prob, item.alternatives))
    return pieces


def test_a_prompt_that_begins_like_a_cached_one_reads_only_the_rest_and_answers_as_if_read_whole(
    backend: LlamaBackend,
) -> None:
    """A follow-up about the same case copies the case's chunks: the same numbers, to the last bit, as a whole read."""
    engine = backend._engine
    question = "Hvad kan kommunen tilbyde hende?"
    whole = _probed(backend, question)  # read from the first token (nothing cached begins like it)
    for other in ("Hvad er en trappelift?", "Hvem er ergoterapeut?"):  # push it out of the cache (2 places)
        answer(backend, (Message("user", other),), GenerationParams(max_tokens=2, seed=1), 1)
    _probed(backend, "Bor hun alene?")  # the case again, with another question: read whole, then cached
    head = backend.count_tokens((Message("user", f"{CASE}\nSpørgsmål: {question}"),)) - 1
    read, prefixes = engine.stats["prompt_tokens"], engine.stats["prefixes_reused"]
    again = _probed(backend, question)
    assert engine.stats["prefixes_reused"] == prefixes + 1
    assert head > 512, "longer than the demo model's sliding window"
    copied = head - (engine.stats["prompt_tokens"] - read)
    assert copied >= head - 128 - 32 and copied % 128 == 0, "whole chunks of the case copied, the rest read"
    assert again == whole and whole


def test_the_pipeline_guards_a_group_once_and_logs_every_answer(pipeline: Pipeline) -> None:
    session = Session()
    calls = []
    check = pipeline.guard.check

    def counted(text: str, vault: object) -> object:
        calls.append(text)
        return check(text, vault)  # type: ignore[arg-type]

    pipeline.guard.check = counted  # type: ignore[method-assign]
    try:
        prompt = "Skriv kort til Mette Hansen om hendes ansøgning."
        requests = [Request(prompt, GenerationParams(max_tokens=12, seed=s), exercise_id="gentag") for s in (3, 4, 5)]
        results = {i: r for i, r in pipeline.stream_group(requests, session) if not isinstance(r, Token)}
    finally:
        pipeline.guard.check = check  # type: ignore[method-assign]
    assert calls == [prompt], "the prompt is guarded once for the whole group"
    assert sorted(results) == [0, 1, 2]
    entries = {e["id"]: e for e in pipeline.log.entries(limit=10)}
    for index, seed in enumerate((3, 4, 5)):
        entry = entries[results[index].log_id]
        assert entry["params"]["seed"] == seed
        assert entry["params"]["decoded_together"] == results[index].decoded_together
        assert "Mette" not in entry["prompt"] and "[PERSON_1]" in entry["prompt"]
        assert entry["exercise_id"] == "gentag"


def test_a_random_seed_answer_decoded_alone_comes_back_with_its_seed(backend: LlamaBackend) -> None:
    """The seed shown on an answer, typed in as a fixed seed, gives that answer again (nobody else busy)."""
    drawn, end = answer(backend, OTHER, GenerationParams(max_tokens=24), 987)  # params.seed None: random mode
    assert end.rows == 1
    again, _ = answer(backend, OTHER, GenerationParams(max_tokens=24, seed=987), 987)
    assert again == drawn and drawn


def test_a_long_prompt_does_not_stop_the_others_while_it_is_read(backend: LlamaBackend) -> None:
    """A participant pastes a long text: the others' answers go on between the chunks of its prompt."""
    engine = backend._engine
    running = threading.Event()
    got: list[Finished] = []

    def writer() -> None:
        params = GenerationParams(max_tokens=300, temperature=0.0)
        for item in backend.stream(OTHER, params, 1, threading.Event()):
            if isinstance(item, Token):
                running.set()
            else:
                got.append(item)

    thread = threading.Thread(target=writer)
    thread.start()
    running.wait(timeout=120)
    before = engine.stats["steps_while_reading"]
    long = (Message("user", "Borgeren klager over ventetiden på sin kørestol. " * 60),)
    chunks = -(-(backend.count_tokens(long) - 1) // 128)  # the last prompt token is read in the first step
    answer(backend, long, GenerationParams(max_tokens=4, seed=2), 2)
    thread.join()
    assert chunks >= 4
    assert engine.stats["steps_while_reading"] - before == chunks, "a step for the writer after every chunk"
    assert got[0].reason == "length" and got[0].completion_tokens == 300


def test_a_fixed_seed_in_a_steady_group_does_not_depend_on_when_its_neighbours_end(backend: LlamaBackend) -> None:
    """Gentag: the fixed-seed answer sits beside random-seed ones, which end at other steps in every run."""
    first, first_ends = group(backend, [42, 1, 2, 3, 4], max_tokens=48, steady=True)
    second, second_ends = group(backend, [42, 11, 12, 13, 14], max_tokens=48, steady=True)
    assert first[0] == second[0] and first[0]
    lengths = {end.completion_tokens for end in first_ends[1:] + second_ends[1:]}
    assert len(lengths) > 1, "the neighbours did end at different steps"


def _rows_per_member(backend: LlamaBackend, *, steady: bool) -> tuple[list[list[int]], list[list[int]]]:
    """The rows of every decode that drew a token for each member, and each member's tokens.

    The members are cut at different lengths, so they end at different steps.
    """
    prompt = backend._prompt_tokens(PROMPT)
    members = [(prompt, GenerationParams(max_tokens=n, seed=seed)) for seed, n in zip(SEEDS, LENGTHS, strict=True)]
    rows: list[list[int]] = [[] for _ in members]
    tokens: list[list[int]] = [[] for _ in members]
    for index, item in backend._engine.generate_group(members, threading.Event(), steady=steady):
        if isinstance(item, Step):
            rows[index].append(item.rows)
            tokens[index].append(item.token)
    return rows, tokens


SEEDS, LENGTHS = (42, 1, 2, 3, 4), (40, 8, 16, 24, 32)


def test_a_member_that_ends_leaves_its_group_and_the_group_still_comes_back(backend: LlamaBackend) -> None:
    """A row nobody reads costs as much as a live one, so members leave as they end (Høringssvar's batches)."""
    rows, first = _rows_per_member(backend, steady=False)
    assert [len(r) for r in rows] == list(LENGTHS), "the demo model writes to the limit with these seeds"
    # Slot 1 leaves first: llama.cpp then computes slot 0 in a pass of its own, the same way every run.
    assert rows[0] == [5] * 8 + [1] * 32
    assert rows[4] == [5] * 8 + [3] * 8 + [2] * 8 + [1] * 8
    assert _rows_per_member(backend, steady=False)[1] == first, "same seeds, same answers"


def test_a_steady_group_keeps_every_row_until_its_last_member_ends(backend: LlamaBackend) -> None:
    rows, _ = _rows_per_member(backend, steady=True)
    assert [len(r) for r in rows] == list(LENGTHS)
    assert {row for member in rows for row in member} == {5}


@pytest.mark.parametrize("steady", [False, True])
def test_a_released_member_stops_at_once_and_the_others_go_on(backend: LlamaBackend, steady: bool) -> None:
    """A caller that reached a stop string releases its member: it must not run on to max_tokens in every step."""
    prompt = backend._prompt_tokens(PROMPT)
    members = [(prompt, GenerationParams(max_tokens=24, seed=seed)) for seed in (1, 42)]
    released = [threading.Event(), threading.Event()]
    tokens, ends, rows = [0, 0], [None, None], []
    for index, item in backend._engine.generate_group(members, threading.Event(), steady=steady, released=released):
        if isinstance(item, Step):
            tokens[index] += 1
            if index == 1:
                rows.append(item.rows)
            if index == 0 and tokens[0] == 3:
                released[0].set()
        else:
            ends[index] = item
    assert ends[0].reason == "released" and tokens[0] < 12, tokens
    assert ends[1].reason == "length" and tokens[1] == 24
    assert rows[0] == 2
    assert rows[-1] == (2 if steady else 1), "a steady group keeps the released row; otherwise it goes"


class Recording(LlamaBackend):
    """The real backend, remembering whether each group was asked to be steady."""

    asked: list[bool]

    def stream_group(self, calls, cancel, *, steady=False):  # noqa: ANN001, ANN201 - the Backend signature
        self.asked.append(steady)
        return super().stream_group(calls, cancel, steady=steady)


@pytest.fixture(scope="module")
def recording(demo_model_path: Path) -> Iterator[Recording]:
    own = Recording(demo_model_path, name="demo", demo=True, n_ctx=1024, slots=4)
    yield own
    own.close()


@pytest.mark.parametrize(
    ("seeds", "steady"),
    [((7, None, None), True), ((None, None, None), False), ((7, 8, 9), False), (("greedy", None), True)],
)
def test_the_pipeline_keeps_a_group_steady_where_chosen_seeds_sit_beside_drawn_ones(
    recording: Recording, pipeline: Pipeline, tmp_path: Path, seeds: tuple[int | str | None, ...], steady: bool
) -> None:
    recording.asked = []
    own = Pipeline(recording, pipeline.guard, AuditLog(tmp_path / "log.sqlite3"))
    requests = [
        Request("Skriv et kort brev.", GenerationParams(max_tokens=4, temperature=0.0))
        if seed == "greedy"
        else Request("Skriv et kort brev.", GenerationParams(max_tokens=4, seed=seed))
        for seed in seeds
    ]
    assert len(list(own.stream_group(requests, Session()))) >= len(seeds)
    assert recording.asked == [steady]


def test_the_rooms_answers_close_up_when_someone_in_between_is_done(backend: LlamaBackend) -> None:
    """A hole among the shared answers would split their pass in two; the engine moves them together."""
    prompt = backend._prompt_tokens(PROMPT)
    engine = backend._engine
    lengths = (24, 80, 32, 80)  # admitted in this order, into slots 0-3; the first and third leave early
    rows: list[list[int]] = [[] for _ in lengths]
    started = [threading.Event() for _ in lengths]

    def ask(index: int) -> None:
        params = GenerationParams(max_tokens=lengths[index], temperature=0.0, seed=1)
        for item in engine.generate(prompt, params, threading.Event()):
            if isinstance(item, Step):
                rows[index].append(item.rows)
                started[index].set()
        started[index].set()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(lengths))]
    moves = engine.stats["moves"]
    for thread, first in zip(threads, started, strict=True):
        thread.start()
        assert first.wait(120)  # one after the other, so the slots follow the order above
    for thread in threads:
        thread.join()
    assert [len(r) for r in rows] == list(lengths), "greedy answers run to their limit here"
    # The second answer ends first (it started first): until then it shares a pass with the fourth,
    # which without the move would sit two slots away, behind the third's empty slot.
    assert rows[1][-1] == 2 and rows[3][-1] == 1
    assert engine.stats["moves"] > moves


def test_the_rooms_odd_pass_is_padded_from_a_free_slot(backend: LlamaBackend) -> None:
    """Shared answers promise no reproducibility, so any free slot beside them serves as their pad."""
    prompt = backend._prompt_tokens(PROMPT)
    engine = backend._engine
    rows: list[list[int]] = [[], [], []]
    started = [threading.Event() for _ in rows]

    params = GenerationParams(max_tokens=24, temperature=0.0, seed=1)

    def ask(index: int) -> None:
        for item in engine.generate(prompt, params, threading.Event()):
            if isinstance(item, Step):
                rows[index].append(item.rows)
                started[index].set()
        started[index].set()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(rows))]
    pads = engine.stats["pads"]
    for thread, first in zip(threads, started, strict=True):
        thread.start()
        assert first.wait(120)
    for thread in threads:
        thread.join()
    three = sum(1 for row in rows[2] if row == 3)
    assert three > 0, rows
    assert max(max(r) for r in rows) == 3, "the pad is not an answer"
    assert engine.stats["pads"] - pads >= three, "every step with three answers had a pad"


@pytest.mark.parametrize(
    "shape",
    ["like the model's", "peaked", "flat", "one far ahead"],
)
def test_softmax_top_agrees_with_the_plain_float64_softmax(shape: str) -> None:
    """The fast path (float32 buffer, best sought near the peak) gives the textbook numbers, in every regime."""
    rng = np.random.default_rng(7)
    size = 262_144
    logits = {
        "like the model's": rng.normal(0.0, 3.0, size),  # some hundred within 4 of the peak: the shortest path
        "peaked": rng.normal(0.0, 10.0, size),  # too few within 4, a few hundred within 16: the short path
        "flat": rng.normal(0.0, 0.1, size),  # everything near the peak: more than NEAR_MOST, the full search
        "one far ahead": np.concatenate([[60.0], rng.normal(0.0, 1.0, size - 1)]),  # fewer than ``top`` near
    }[shape].astype(np.float32)
    near, nearest = (int((logits >= logits.max() - width).sum()) for width in NEAR_WIDTHS[::-1])
    assert {
        "like the model's": 5 <= nearest <= NEAR_MOST,
        "peaked": nearest < 5 <= near <= NEAR_MOST,
        "flat": nearest > NEAR_MOST,
        "one far ahead": near < 5,
    }[shape], (near, nearest)
    reference = np.exp(logits.astype(np.float64) - logits.max())
    reference /= reference.sum()
    token = int(rng.integers(size))

    prob, best = softmax_top(logits, token, 5, np.empty(size, dtype=np.float32))

    assert prob == pytest.approx(reference[token], rel=1e-5)
    assert [i for i, _ in best] == list(np.argsort(reference, kind="stable")[::-1][:5])
    assert [p for _, p in best] == pytest.approx(sorted(reference)[::-1][:5], rel=1e-5)
