"""Continuous batching on llama.cpp's batch API: every waiting answer advances in one pass.

Decoding on a CPU is bound by memory: one pass over the weights serves
several sequences almost as fast as one (measured with the demo model on
an AVX2 machine: 1.3x the tokens per second with 2 sequences, 1.8x with 4,
2.0x with 8; ``benchmarks/generation.py``). The :class:`Engine` owns one
llama.cpp context and one thread that runs the loop: admit waiting
requests into free slots, decode one token for every running sequence,
sample each with its own sampler and seed, hand each token to its caller.
A request joins at the next step and leaves when it is done; a cancelled
one leaves alone.

What batching changes, measured (``tests/test_engine.py`` holds it): a
row's numbers depend on how many rows one ``llama_decode`` computes
(llama.cpp's CPU kernels take another path from 4 and from 8 rows: answers
fell into the classes 1–3, 4–7 and 8 rows), not on what the other rows
hold. So a seed gives the same answer again only when its sequence is
decoded the same way, and the engine makes that a choice, with *decode
units*, one ``llama_decode`` each per step:

- a **group** (an exercise's answers, where a seed is chosen): its own unit, so the
  same card with the same seeds is byte-identical whoever else is busy.
  A member that ends leaves the group's decodes, which is deterministic
  given the seeds. A *steady* group keeps every row until its last member
  is done, at the price of computing rows nobody reads, for answers that
  must not depend on when their neighbours end (a fixed seed beside
  random ones; Par's variants, repeat r in the same row for every variant);
- an **alone** request (a fixed seed): a unit of one, reproducible always.
  Callers who ask for the same thing (same prompt, same settings, same
  seed) while it is being written read one sequence (:class:`_Broadcast`):
  its answer is decided by those alone, so each gets exactly the answer it
  would have got by itself. A room told "everyone, seed 42" is then written
  once instead of once a person, one at a time;
- every other request shares one unit with the rest (the room's throughput),
  and so does a card whose answers all have drawn seeds: they promise
  nothing to reproduce, and a room running the same card fills the slots
  together (as groups, 8 participants' cards ran one after the other).

Each :class:`Done` says the most rows its sequence shared a pass with,
and the app shows it. llama.cpp computes a unit's rows in one pass only
where their slots are consecutive, so a row's pass is its run of
consecutive slots; a group member that leaves can split its group this
way (the same way every run), while the room's shared answers are moved
together again (:meth:`Engine._pack_shared`).

A pass of an odd number of rows (3 or more) costs more than one with a row
more on these kernels, so such a pass gets a *pad row*: a throw-away token
in an empty slot beside it, its output never read (:func:`_pads`). The room's
answers take any free slot; a group takes its pad slot with it (a group of
an odd number of members asks for one slot more) and keeps the slots of
members that are done, so its passes, and its answers, never depend on
whether a stranger sits next to it. Pads are not counted as rows shown.

Each sequence has a KV stream of its own (``kv_unified=False``), so its
cells lie in order whatever else runs; with one shared stream, a group's
answers changed when strangers had left holes in the cells. llama.cpp
computes such a batch in one pass only when its sequence ids are
consecutive and in order (otherwise it splits it per sequence: 8 sequences
then took 8x as long as one), so a group gets a consecutive run of slots
and rows go in slot order.

Evaluated prompts are kept in spare sequences (``cache`` of them, most
recently used first) and copied into a slot when the same prompt comes
again, so a repeated prompt ("Kør igen", an exercise's samples) pays for
prompt evaluation once. A prompt that only begins like a cached one (a
follow-up question repeats the conversation before it; a case sent with
several instructions) copies the whole chunks they share and reads the
rest, as llama-server's prompt cache does, but never part of a chunk, so
the copied tokens are the numbers a fresh read computes. The last prompt
token is always decoded in the step, so a copied prompt and a fresh one
give the same first logits.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from sandbox.backends.base import GenerationParams
from sandbox.errors import GenerationError

# How many recently evaluated prompts are kept for reuse.
DEFAULT_CACHE = 2
# Tokens evaluated per llama_decode while reading a prompt; the others take a
# step between two chunks, so a long paste pauses them for one chunk at a time.
PROMPT_CHUNK = 128
# The sampler reads this many of the latest tokens for its repeat penalty
# (llama-cpp-python's default, kept so seeds mean what they meant before).
PENALTY_WINDOW = 64
MIN_P = 0.05
# The shown alternatives are looked for among the logits this close to the best
# (the first width that holds enough of them: e^4 ≈ 55 and e^16 ≈ 9 million
# in probability) while there are at most NEAR_MOST; otherwise across the whole
# vocabulary. The demo model's logits are flat: within 16 of its best there
# were 10,000 (median) of 262,144, within 4 only 26.
NEAR_WIDTHS = (4.0, 16.0)
NEAR_MOST = 4096
CLOSED = "Modellen er lukket, fordi legepladsen er ved at stoppe. Start den igen for at fortsætte."


@dataclass(frozen=True)
class Step:
    """One drawn token, with the distribution it was drawn from when asked for."""

    token: int
    prob: float | None = None
    alternatives: tuple[tuple[int, float], ...] = ()
    rows: int = 1  # rows in the decode that produced it


@dataclass(frozen=True)
class Done:
    """The end of a sequence: ``stop`` (end of text), ``length``, ``cancelled`` or ``released``."""

    reason: str
    produced: int
    rows: int = 1  # the most rows one decode of this sequence computed


@dataclass(eq=False)
class _Group:
    """The decode unit of one group; ``steady`` keeps the rows of members that are done.

    ``spare`` are slots the group holds without a live row: one taken with
    it when it has an odd number of members, and those of members that are
    done. Pad rows go there, so its passes never depend on who else is busy.
    """

    steady: bool
    spare: list[int] = field(default_factory=list)


class _Broadcast:
    """What one alone sequence writes, handed to every caller who asked for exactly that answer.

    It is the sequence's ``out`` and its ``cancel``: each item goes to every
    reader (a reader who joins late first gets what was written before it
    came); a reader who pressed Stop hears ``cancelled`` as soon as the
    engine next asks whether the sequence is cancelled (each step, and while
    it waits for a slot or reads its prompt) and is dropped, as is one who
    stopped reading; the sequence counts as cancelled once nobody reads it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._written: list[Step | Done | BaseException] = []
        self._readers: list[_Reader] = []
        self.over = False  # ended, or about to be: nobody can join any more

    def join(self, cancel: threading.Event) -> _Reader | None:
        """A new reader, who first gets everything written so far; None once the sequence is over."""
        with self._lock:
            if self.over:
                return None
            reader = _Reader(cancel)
            for item in self._written:
                reader.put(item)
            self._readers.append(reader)
            return reader

    def put(self, item: Step | Done | BaseException) -> None:
        with self._lock:
            self._drop_gone()
            for reader in self._readers:
                reader.put(item)
            if isinstance(item, Step):
                self._written.append(item)
            else:
                self.over = True
                self._written.clear()  # nobody joins any more: nothing to hand on

    def is_set(self) -> bool:
        """Cancelled, as the engine asks of a sequence: every reader has stopped or left.

        The readers who pressed Stop are told here, not at the next token,
        which may be minutes away while the sequence waits for a slot. Once
        the answer is cancelled the door closes: a caller asking for the same
        now starts a sequence of its own instead of joining one that ends.
        """
        with self._lock:
            self._drop_gone()
            self.over = self.over or not self._readers
            return not self._readers

    def _drop_gone(self) -> None:
        for reader in list(self._readers):
            if reader.cancel.is_set() or reader.released.is_set():
                self._readers.remove(reader)
                if not reader.released.is_set():
                    reader.out.put(Done("cancelled", reader.produced, 1))


@dataclass(eq=False)
class _Reader:
    """One caller of a :class:`_Broadcast`."""

    cancel: threading.Event
    out: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    released: threading.Event = field(default_factory=threading.Event)
    produced: int = 0

    def put(self, item: Step | Done | BaseException) -> None:
        if isinstance(item, Step):
            self.produced += 1
        self.out.put(_failure(item) if isinstance(item, BaseException) else item)


@dataclass(eq=False)
class _Sequence:
    prompt: list[int]
    params: GenerationParams
    cancel: threading.Event | _Broadcast  # a _Broadcast is cancelled when none of its readers reads on
    unit: object = None  # which decode unit: a _Group, the sequence itself (alone), or None (shared)
    out: queue.SimpleQueue | _Broadcast = field(default_factory=queue.SimpleQueue)
    released: threading.Event = field(default_factory=threading.Event)
    slot: int = -1
    position: int = 0
    pending: int = 0  # the token to feed at the next step
    produced: int = 0
    sampler: object = None
    rows: int = 0
    reading: bool = False  # its prompt (or its group's) is being read: no steps yet
    finished: bool = False  # a group member whose answer is done, still decoded with its group


class Engine:
    """One model, ``slots`` sequences decoded together, evaluated prompts reused."""

    def __init__(
        self,
        model: object,
        *,
        slots: int,
        context_per_slot: int,
        n_threads: int,
        cache: int = DEFAULT_CACHE,
    ) -> None:
        import llama_cpp
        from llama_cpp import _internals

        self._lib = llama_cpp
        self._internals = _internals
        self.slots = slots
        self._cache_ids = list(range(slots, slots + cache))
        params = llama_cpp.llama_context_default_params()
        params.n_seq_max = slots + cache
        params.n_ctx = context_per_slot * (slots + cache)
        params.n_batch = max(PROMPT_CHUNK, slots)
        params.n_ubatch = max(PROMPT_CHUNK, slots)
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.kv_unified = False
        # A sliding-window cache that keeps only its window could not give back the positions below a
        # copied prompt's start: the whole window is kept (llama.cpp's default, set so it stays so).
        params.swa_full = True
        self._ctx = _internals.LlamaContext(model=model, params=params, verbose=False)
        self.context_per_slot = context_per_slot  # the most tokens one sequence holds (its own KV stream)
        self._memory = self._ctx.memory
        self._vocab = llama_cpp.llama_model_get_vocab(model.model)  # type: ignore[attr-defined]
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._batch = llama_cpp.llama_batch_init(params.n_batch, 0, 1)
        self._scratch = np.empty(self._n_vocab, dtype=np.float32)  # the engine thread's softmax buffer
        self._cached: OrderedDict[tuple[int, ...], int] = OrderedDict()  # prompt → cache sequence id
        self._inbox: queue.SimpleQueue[list[_Sequence] | None] = queue.SimpleQueue()
        self._waiting: list[list[_Sequence]] = []  # a lone request or a group, each admitted whole
        self._running: list[_Sequence] = []
        self._free = list(range(slots))
        self._closed = False
        self._lock = threading.Lock()  # guards _closed against a submit racing close()
        self._alone: dict[tuple, _Broadcast] = {}  # (prompt, settings) → the alone sequence writing it
        self._alone_lock = threading.Lock()
        # What the loop did; "reading_seconds" is the time spent evaluating prompts, which batching cannot shorten
        # (benchmarks/exercises.py shows how much of a card that is).
        self.stats: dict[str, float] = dict.fromkeys(
            (
                "prompts_evaluated",
                "prompts_reused",
                "prompt_tokens",
                "steps",
                "steps_while_reading",
                "moves",
                "pads",
                "answers_shared",  # alone requests that read a sequence someone else had asked for
                "prefixes_reused",  # prompts whose start was copied from a cached prompt, the rest read
            ),
            0,
        )
        self.stats["reading_seconds"] = 0.0
        self._thread = threading.Thread(target=self._loop, name="legeplads-engine", daemon=True)
        self._thread.start()

    # ----- the callers' side -------------------------------------------------

    @property
    def busy(self) -> int:
        """Answers being written or waiting for a slot right now: a snapshot for a progress line, read unlocked."""
        return len(self._running) + sum(len(entry) for entry in self._waiting)

    def generate(
        self, prompt: Sequence[int], params: GenerationParams, cancel: threading.Event, *, alone: bool = False
    ) -> Iterator[Step | Done]:
        """Yield the drawn tokens, then one :class:`Done`; closing the iterator early frees the slot.

        ``alone`` decodes the sequence in a unit of its own (reproducible
        whatever else runs), and reads the sequence already writing the same
        prompt with the same settings if there is one; otherwise it shares
        its steps with the others.
        """
        if alone:
            reader = self._read_alone(list(prompt), params, cancel)
            out, released = reader.out, reader.released
        else:
            sequence = _Sequence(list(prompt), params, cancel)
            self._submit([sequence])
            out, released = sequence.out, sequence.released
        try:
            while True:
                item = out.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, Done):
                    return
        finally:
            released.set()

    def _read_alone(self, prompt: list[int], params: GenerationParams, cancel: threading.Event) -> _Reader:
        """A reader of the alone sequence writing ``prompt`` with ``params``, started if none is."""
        key = (tuple(prompt), params)
        with self._alone_lock:
            broadcast = self._alone.get(key)
            reader = broadcast.join(cancel) if broadcast is not None else None
            if reader is not None:
                self.stats["answers_shared"] += 1
                return reader
            self._alone = {key: other for key, other in self._alone.items() if not other.over}
            broadcast = self._alone[key] = _Broadcast()
            reader = broadcast.join(cancel)
            assert reader is not None, "a new broadcast is not over"
            sequence = _Sequence(prompt, params, broadcast, out=broadcast)
            sequence.unit = sequence
            try:
                self._submit([sequence])
            except GenerationError:
                del self._alone[key]  # nobody may wait for a sequence that never runs
                raise
            return reader

    def generate_group(
        self,
        members: Sequence[tuple[Sequence[int], GenerationParams]],
        cancel: threading.Event,
        *,
        steady: bool = False,
        released: Sequence[threading.Event] = (),
        shared: bool = False,
    ) -> Iterator[tuple[int, Step | Done]]:
        """Decode ``(prompt, params)`` members together in a unit of their own; yield ``(index, item)``.

        ``params.seed`` is set (the pipeline draws random ones).

        Each member ends with its own :class:`Done`. The group needs as many
        free slots as it has members (at most ``slots``); it waits until a
        run of slots is free and joins as a whole, so its steps are the same
        every time it runs. Members with the same prompt evaluate it once.
        ``steady`` keeps a member's row until the whole group is done.
        Setting ``released[index]`` ends that member at the next step (the
        caller reached a stop string and reads no more of it): it stops
        costing a row, or, in a steady group, keeps its row unread.

        ``shared`` (any number of members, not ``steady``) decodes them
        instead with the room's shared answers, each taking a slot as one
        comes free: for answers on drawn seeds, which promise nothing to
        reproduce. A room pressing Kør on the same card then fills the slots
        together instead of waiting for one card's run of slots after the
        other. At most ``slots`` of them wait or run at a time, the next
        sent when one is done, so a card of many answers does not queue
        them all ahead of a question someone sends meanwhile.
        """
        if shared and steady:
            raise ValueError("a steady group keeps its rows in a unit of its own: it cannot be shared")
        if not members or (not shared and len(members) > self.slots):
            raise ValueError(f"a group holds 1 to {self.slots} members, not {len(members)}")
        unit = None if shared else _Group(steady)
        merged: queue.SimpleQueue = queue.SimpleQueue()
        sequences = [
            _Sequence(
                list(prompt),
                params,
                cancel,
                unit,
                _Tagged(merged, index),  # type: ignore[arg-type]
                released[index] if released else threading.Event(),
            )
            for index, (prompt, params) in enumerate(members)
        ]
        open_ = len(sequences)
        unsent = [[sequence] for sequence in sequences] if shared else [sequences]
        try:
            for entry in unsent[: self.slots]:
                self._submit(entry)
            del unsent[: self.slots]
            while open_:
                index, item = merged.get()
                if isinstance(item, BaseException):
                    raise item
                yield index, item
                if isinstance(item, Done):
                    open_ -= 1
                    if unsent:
                        self._submit(unsent.pop(0))
        finally:
            for sequence in sequences:
                sequence.released.set()

    def _submit(self, sequences: list[_Sequence]) -> None:
        with self._lock:
            if self._closed:
                raise GenerationError(CLOSED)
            self._inbox.put(sequences)

    def close(self) -> None:
        """Let the answers being written finish, refuse the waiting ones, then free the context."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._inbox.put(None)
        self._thread.join()
        self._lib.llama_batch_free(self._batch)
        self._ctx.close()

    # ----- the loop ------------------------------------------------------------

    def _loop(self) -> None:
        try:
            self._serve()
        except BaseException as error:  # noqa: BLE001 - a bug here must not leave callers waiting forever
            with self._lock:
                self._closed = True
            for sequence in [*self._running, *(s for entry in self._waiting for s in entry)]:
                sequence.out.put(_failure(error))
            while True:  # and whoever submitted in between
                try:
                    entry = self._inbox.get_nowait()
                except queue.Empty:
                    break
                for sequence in entry or ():
                    sequence.out.put(_failure(error))

    def _serve(self) -> None:
        closing = False
        while True:
            block = not self._running and not self._waiting and not closing
            try:
                item = self._inbox.get(block=block)
                while True:
                    if item is None:
                        # Closing: the answers being written are finished, the waiting ones refused.
                        closing = True
                        for entry in self._waiting:
                            for sequence in entry:
                                sequence.out.put(GenerationError(CLOSED))
                        self._waiting.clear()
                    else:
                        self._waiting.append(item)
                    item = self._inbox.get_nowait()
            except queue.Empty:
                pass
            if closing and not self._running:
                return
            self._drop_finished()
            # First come, first served: a group waits for a run of free slots, and nobody overtakes it.
            while self._waiting and (slots := self._take_slots(self._slots_for(self._waiting[0]))):
                entry = self._waiting.pop(0)
                if len(slots) > len(entry):  # the pad slot of a group with an odd number of members
                    entry[0].unit.spare.append(slots.pop())  # type: ignore[union-attr]
                for sequence in entry:  # a group starts its steps together, once all its prompts are read
                    sequence.reading = True
                for sequence, slot in zip(entry, slots, strict=True):
                    try:
                        self._admit(sequence, slot)
                    except Exception as error:  # noqa: BLE001 - reported to the one caller it concerns
                        self._end(sequence, error=_failure(error))
                for sequence in entry:
                    sequence.reading = False
            self._step_safely()

    def _step_safely(self) -> bool:
        """One step for the running sequences (False: none to take); a failure ends them with a Danish error."""
        if all(s.reading for s in self._running):
            return False
        try:
            self._step()
        except Exception as error:  # noqa: BLE001 - every running caller hears of it
            for sequence in list(self._running):
                if not sequence.reading:
                    self._end(sequence, error=_failure(error))
        return True

    def _drop_finished(self) -> None:
        """Waiting requests whose caller stopped or went away never get a slot."""
        for entry in list(self._waiting):
            if all(s.cancel.is_set() or s.released.is_set() for s in entry):
                self._waiting.remove(entry)
                for sequence in entry:
                    sequence.out.put(Done("cancelled", 0, 0))

    def _slots_for(self, entry: list[_Sequence]) -> int:
        """A group of an odd number (3 or more) of members takes one more slot for its pad row, if there is room."""
        count = len(entry)
        odd_group = isinstance(entry[0].unit, _Group) and count >= 3 and count % 2 == 1
        return count + 1 if odd_group and count < self.slots else count

    def _take_slots(self, count: int) -> list[int]:
        """The lowest run of ``count`` consecutive free slots (taken), or none."""
        for first in sorted(self._free):
            run = list(range(first, first + count))
            if all(slot in self._free for slot in run):
                for slot in run:
                    self._free.remove(slot)
                return run
        return []

    def _admit(self, sequence: _Sequence, slot: int) -> None:
        """Put ``sequence`` in ``slot`` with its prompt but the last token, evaluated or copied."""
        sequence.slot = slot
        self._running.append(sequence)  # from here on, _end gives the slot back
        head, sequence.pending = tuple(sequence.prompt[:-1]), sequence.prompt[-1]
        sequence.position = len(head)
        sequence.sampler = self._sampler(sequence.params)
        if not head:
            return
        reused = 0
        if found := self._reusable(head):
            key, reused = found
            self._cached.move_to_end(key, last=False)
            # llama.cpp copies a KV stream only whole: the cached prompt's tokens past the common start go after.
            self._lib.llama_memory_seq_cp(self._memory, self._cached[key], slot, -1, -1)
            if not self._lib.llama_memory_seq_rm(self._memory, slot, reused, -1):
                # A recurrent model's state cannot be cut back to a position: read the prompt whole.
                self._lib.llama_memory_seq_rm(self._memory, slot, -1, -1)
                reused = 0
            elif reused == len(head):
                self.stats["prompts_reused"] += 1
                return
            else:
                self.stats["prefixes_reused"] += 1
        for start in range(reused, len(head), PROMPT_CHUNK):
            if sequence.cancel.is_set() or sequence.released.is_set():
                self._end(sequence, reason="cancelled")  # Stop works while a long prompt is read
                return
            chunk = head[start : start + PROMPT_CHUNK]
            self._fill([(token, start + i, slot, False) for i, token in enumerate(chunk)])
            reading = time.perf_counter()
            self._decode()
            self.stats["reading_seconds"] += time.perf_counter() - reading
            self.stats["prompt_tokens"] += len(chunk)
            # The others go on writing between the chunks: a long paste does not freeze the room.
            if self._step_safely():
                self.stats["steps_while_reading"] += 1
        self.stats["prompts_evaluated"] += 1
        self._remember(head, slot)

    def _reusable(self, head: tuple[int, ...]) -> tuple[tuple[int, ...], int] | None:
        """The cached prompt holding most of ``head`` as a fresh read computes it, and how many tokens.

        All of ``head`` when it is cached; otherwise the start it shares with
        a cached prompt, cut to whole chunks: a chunk's numbers depend on how
        many tokens it holds, so only the chunks a fresh read of ``head``
        would also read whole come out the same, and a seed gives the same
        answer whether the prompt was read whole or partly copied (a
        follow-up question repeats the whole conversation before it; an
        exercise sends one case with several instructions).
        """
        best: tuple[tuple[int, ...], int] | None = None
        for cached in self._cached:
            common = len(head) if cached == head else _common_start(cached, head) // PROMPT_CHUNK * PROMPT_CHUNK
            if common and (best is None or common > best[1]):
                best = (cached, common)
        return best

    def _remember(self, head: tuple[int, ...], slot: int) -> None:
        if not self._cache_ids:
            return
        if len(self._cached) < len(self._cache_ids):
            target = self._cache_ids[len(self._cached)]
        else:
            _, target = self._cached.popitem(last=True)
        self._lib.llama_memory_seq_rm(self._memory, target, -1, -1)
        self._lib.llama_memory_seq_cp(self._memory, slot, target, -1, -1)
        self._cached[head] = target
        self._cached.move_to_end(head, last=False)

    def _step(self) -> None:
        """Decode one token for every running sequence, one ``llama_decode`` per decode unit."""
        for sequence in list(self._running):
            if not (sequence.reading or sequence.finished) and (sequence.cancel.is_set() or sequence.released.is_set()):
                self._end(sequence, reason="cancelled" if sequence.cancel.is_set() else "released")
        self._pack_shared()
        units: dict[object, list[_Sequence]] = {}
        for sequence in self._running:
            if not sequence.reading:
                units.setdefault(sequence.unit, []).append(sequence)
        for unit in units.values():
            if all(sequence.finished for sequence in unit):
                for sequence in unit:  # the group's last answer is done: its rows go
                    self._remove(sequence)
            else:
                self._step_unit(unit)
        self.stats["steps"] += 1

    def _pack_shared(self) -> None:
        """Move shared answers into free slots below them until they sit in one consecutive run.

        llama.cpp decodes non-unified KV streams in one pass only where their
        sequence ids are consecutive: with a hole left by someone who is
        done, the room's answers were split into several smaller passes,
        each as costly per row as decoding alone (1-3 rows). A move copies
        one KV stream; it happens only when someone leaves. Shared answers
        have random seeds and promise no reproducibility, so their place may
        change; groups and fixed seeds are never moved.
        """
        while True:
            shared = sorted(s.slot for s in self._running if s.unit is None and not s.reading)
            if len(shared) < 2 or shared[-1] - shared[0] == len(shared) - 1:
                return
            holes = [slot for slot in sorted(self._free) if shared[0] < slot < shared[-1]]
            if not holes:
                return  # the gap is someone else's (a group, a fixed seed)
            moving = next(s for s in self._running if s.slot == shared[-1])
            self._lib.llama_memory_seq_cp(self._memory, moving.slot, holes[0], -1, -1)
            self._lib.llama_memory_seq_rm(self._memory, moving.slot, -1, -1)
            self._free.remove(holes[0])
            self._free.append(moving.slot)
            moving.slot = holes[0]
            self.stats["moves"] += 1

    def _step_unit(self, unit: list[_Sequence]) -> None:
        unit = sorted(unit, key=lambda s: s.slot)
        kind = unit[0].unit
        spare = kind.spare if isinstance(kind, _Group) else self._free if kind is None else []
        slots = [s.slot for s in unit]
        pads = _pads(slots, spare)
        live = [(s.slot, (s.pending, s.position, s.slot, True)) for s in unit]
        padding = [(pad, (unit[0].pending, 0, pad, True)) for pad in pads]  # any token; its output is never read
        rows = sorted(live + padding)
        self._fill([row for _, row in rows])
        try:
            self._decode()
        finally:
            for pad in pads:
                self._lib.llama_memory_seq_rm(self._memory, pad, -1, -1)
        self.stats["pads"] += len(pads)
        together = _runs(slots, pads)
        index = {slot: row for row, (slot, _) in enumerate(rows)}
        for sequence in unit:
            row = index[sequence.slot]
            sequence.position += 1
            if sequence.finished:  # a group member that is done keeps its row, so the others' rows stay put
                if sequence.position + 1 >= self.context_per_slot:
                    self._remove(sequence)
                continue
            sequence.rows = max(sequence.rows, together[sequence.slot])
            token = sequence.sampler.sample(self._ctx, row)  # type: ignore[attr-defined]
            if self._lib.llama_vocab_is_eog(self._vocab, token):
                self._end(sequence, reason="stop")
                continue
            sequence.produced += 1
            if sequence.params.top_logprobs:
                prob, top = self._probabilities(row, token, sequence.params.top_logprobs)
                sequence.out.put(Step(token, prob, top, together[sequence.slot]))
            else:
                sequence.out.put(Step(token, rows=together[sequence.slot]))
            sequence.pending = token
            if sequence.produced >= sequence.params.max_tokens or sequence.position + 1 >= self.context_per_slot:
                self._end(sequence, reason="length")

    def _end(self, sequence: _Sequence, *, reason: str = "", error: BaseException | None = None) -> None:
        """Tell the caller the sequence is over.

        A member of a steady group that ends normally stays in the group's
        decodes as a row whose output is thrown away until the whole group
        is done: a row's numbers depend on how many rows are decoded and on
        its place, so a member ending early (a random seed drawing "end")
        must not change the answers of the others (a fixed seed beside it,
        Par's variants in their rows). Any other member leaves at once: a
        row nobody reads costs as much as a live one (measured: two rows
        decode no more tokens per second in total than one).
        """
        if sequence.sampler is not None:
            sequence.sampler.close()  # type: ignore[attr-defined]
            sequence.sampler = None
        steady = isinstance(sequence.unit, _Group) and sequence.unit.steady
        if steady and error is None and sequence in self._running:
            sequence.finished = True
        else:
            self._remove(sequence)
        sequence.out.put(error if error is not None else Done(reason, sequence.produced, sequence.rows))

    def _remove(self, sequence: _Sequence) -> None:
        """Take ``sequence``'s row out; a group keeps the slot for pad rows until its last member is out."""
        if sequence in self._running:
            self._running.remove(sequence)
            self._lib.llama_memory_seq_rm(self._memory, sequence.slot, -1, -1)
            group = sequence.unit
            if not isinstance(group, _Group):
                self._free.append(sequence.slot)
                return
            group.spare.append(sequence.slot)
            if not any(s.unit is group for s in self._running):
                self._free.extend(group.spare)
                group.spare.clear()

    def _fill(self, rows: list[tuple[int, int, int, bool]]) -> None:
        batch = self._batch
        for i, (token, position, seq_id, logits) in enumerate(rows):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq_id
            batch.logits[i] = logits
        batch.n_tokens = len(rows)

    def _decode(self) -> None:
        status = self._lib.llama_decode(self._ctx.ctx, self._batch)
        if status != 0:
            raise GenerationError(f"Modellen fejlede midt i svaret (llama_decode gav fejlkode {status}).")

    def _sampler(self, params: GenerationParams) -> object:
        """The same chain llama-cpp-python's ``Llama.generate`` builds, so a seed draws the same tokens."""
        sampler = self._internals.LlamaSampler()
        sampler.add_penalties(self._n_vocab, PENALTY_WINDOW, params.repeat_penalty, 0.0, 0.0)
        if params.temperature == 0.0:
            sampler.add_greedy()
        else:
            sampler.add_top_k(params.top_k)
            sampler.add_typical(1.0, 1)
            sampler.add_top_p(params.top_p, 1)
            sampler.add_min_p(MIN_P, 1)
            sampler.add_temp(params.temperature)
            sampler.add_dist(params.seed)
        return sampler

    def _probabilities(self, row: int, token: int, top: int) -> tuple[float, tuple[tuple[int, float], ...]]:
        """``token``'s probability under ``row``'s raw logits, and the ``top`` best (see :func:`softmax_top`).

        The sampler does not touch the logits, so reading them after it drew
        ``token`` gives the numbers it drew from.
        """
        pointer = self._lib.llama_get_logits_ith(self._ctx.ctx, row)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        return softmax_top(logits, token, top, self._scratch)


def softmax_top(
    logits: np.ndarray, token: int, top: int, scratch: np.ndarray
) -> tuple[float, tuple[tuple[int, float], ...]]:
    """``token``'s probability in the softmax of ``logits`` (before temperature and top-k/p), and the ``top`` best.

    Runs for every token of every answer on the engine thread, so it stays
    off the full vocabulary where it can (262,144 entries for Gemma 3): one
    exp pass into ``scratch`` (reused, float32) for the sum, and the best
    looked for only among logits near the peak. The first version copied
    to float64 and normalised every entry: 9.5 ms a token against about 2 ms,
    time every decode step of the room waited for; looking within 4 of the
    peak first took another 0.8-1.3 ms off (real logits, cold caches).
    """
    peak = logits.max()
    np.subtract(logits, peak, out=scratch)
    np.exp(scratch, out=scratch)
    total = float(scratch.sum(dtype=np.float64))
    for width in NEAR_WIDTHS:
        near = np.flatnonzero(logits >= peak - width)  # every one of the best, if there are ``top`` of them
        if len(near) >= top:
            break
    candidates = near if top <= len(near) <= NEAR_MOST else np.argpartition(logits, -top)[-top:]
    best = candidates[np.argsort(logits[candidates], kind="stable")[::-1][:top]]
    return float(scratch[token] / total), tuple((int(i), float(scratch[i] / total)) for i in best)


@dataclass(frozen=True)
class _Tagged:
    """A group member's output: its items land in the group's one queue, with its index."""

    merged: queue.SimpleQueue
    index: int

    def put(self, item: object) -> None:
        self.merged.put((self.index, item))


def _consecutive(slots: Iterable[int]) -> list[list[int]]:
    """``slots`` in runs of consecutive numbers: llama.cpp computes each run in one pass."""
    runs: list[list[int]] = []
    for slot in sorted(slots):
        if runs and slot == runs[-1][-1] + 1:
            runs[-1].append(slot)
        else:
            runs.append([slot])
    return runs


def _runs(slots: list[int], pads: Sequence[int] = ()) -> dict[int, int]:
    """Per slot, how many answers llama.cpp computes in its pass (its run of consecutive slots, pads not counted)."""
    length: dict[int, int] = {}
    for run in _consecutive([*slots, *pads]):
        answers = [slot for slot in run if slot not in pads]
        length.update(dict.fromkeys(answers, len(answers)))
    return length


def _pads(slots: list[int], spare: Sequence[int]) -> list[int]:
    """Spare slots that give every pass an even number of rows, where one sits next to an odd pass of 3 or more.

    Measured on the demo model (AVX2, two threads; ``benchmarks/generation.py``
    prints it), on two days: a pass of an odd number of rows costs more than
    one with a row more, 3 rows 80-109 ms against 59-79 ms for 3 and a pad,
    5 rows 96-125 against 78-93, 7 rows 104-126 against 88-115; a single
    row (25-29 ms) is cheaper than two. The pad is a throw-away token in an
    empty slot, its output never read. A pad can join two passes into one,
    which is cheaper still.
    """
    free = set(spare) - set(slots)
    pads: list[int] = []
    while True:
        for run in _consecutive([*slots, *pads]):
            if len(run) >= 3 and len(run) % 2 == 1:
                beside = [slot for slot in (run[-1] + 1, run[0] - 1) if slot in free]
                if beside:
                    free.discard(beside[0])
                    pads.append(beside[0])
                    break
        else:
            return sorted(pads)


def _common_start(a: Sequence[int], b: Sequence[int]) -> int:
    """How many tokens ``a`` and ``b`` share from the start."""
    shorter = min(len(a), len(b))
    return next((i for i in range(shorter) if a[i] != b[i]), shorter)


def _failure(error: BaseException) -> BaseException:
    """A fresh Danish error for one caller (each raises it in its own thread)."""
    if isinstance(error, GenerationError):
        return GenerationError(error.message)
    return GenerationError(f"Modellen fejlede midt i svaret: {error}")
