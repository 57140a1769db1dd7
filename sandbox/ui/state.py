"""One browser tab's server-side state.

Gradio keeps a ``gr.State`` value on the server and never sends it to the
browser, which is exactly what the guard's vault needs: the mapping from
placeholders back to a citizen's name stays in this process, per tab, and
is dropped when the tab's session ends or the user presses "Nulstil".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.exercises.journal import Journal
from sandbox.pipeline import Conversation, Request, Result, Session

HISTORY_LENGTH = 20


@dataclass(frozen=True)
class Turn:
    """One answered prompt, as the session's history table shows it (redacted)."""

    time: datetime
    sent: str
    answer: str
    seed: int
    # Its number in its conversation (1 for the first prompt after "Ny samtale").
    turn: int


@dataclass(eq=False)
class Visit:
    """Everything the app remembers for one browser tab."""

    session: Session = field(default_factory=Session)
    # Set by "Stop"; the running generation or exercise checks it between tokens.
    cancel: threading.Event = field(default_factory=threading.Event)
    # True from the moment "Send" is accepted (before the queue) until the
    # answer is done, so a second press is refused with a message instead of
    # queueing a duplicate, and Stop also works while the call still waits.
    pending: bool = False
    last: Result | None = None
    last_request: Request | None = None
    # The Legeplads tab's conversation: its turns are sent with the next prompt. "Ny samtale"
    # starts a new one; the vault stays with the session (see new_conversation).
    conversation: Conversation = field(default_factory=Conversation)
    history: list[Turn] = field(default_factory=list)
    # The Læringslog (texts already redacted by the guard); "Nulstil" drops it with the rest.
    journal: Journal = field(default_factory=Journal)
    # Two presses can arrive at once (unqueued events run in parallel threads).
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __deepcopy__(self, memo: dict) -> Visit:
        # Gradio deep-copies a new session's initial state value. Each Visit
        # is created fresh for its tab and holds a threading.Event, so the
        # "copy" is the object itself.
        return self

    def remember(self, session: Session, request: Request, result: Result) -> None:
        """Keep an answer for the toggles, "Kør igen", the conversation and the history.

        Not if "Nulstil" or "Ny samtale" came in between: the answer belongs to
        a conversation that is gone. A rerun's request holds the turns before
        the one it re-asks, so its answer replaces that turn's.
        """
        conversation = request.conversation
        if session is not self.session or conversation is None or conversation.id != self.conversation.id:
            return
        self.last, self.last_request = result, request
        self.conversation = conversation.after(result)
        turn = Turn(datetime.now(), result.input_guard.text, result.answer, result.seed, conversation.turn)
        self.history.insert(0, turn)
        del self.history[HISTORY_LENGTH:]

    def new_conversation(self) -> None:
        """Start over: the next prompt is sent without the turns before it.

        The vault stays with the session, as does the history: the model never
        sees across conversations, so keeping the placeholders only means a
        name keeps its number on this person's screen (in the history and in
        "Vis svaret med mine egne oplysninger"). "Nulstil" forgets it all.
        A running answer is stopped; it belongs to the conversation left.
        """
        if self.pending:
            self.cancel.set()
        self.conversation = Conversation()
        self.last = self.last_request = None

    def reset(self) -> None:
        """Forget everything: a new pseudonym and an empty vault, history and answer.

        A waiting or running call is stopped but stays marked until it has
        ended: a Send still in the queue would otherwise start, clear the
        stop (see :meth:`begin`) and send the forgotten prompt under the new
        pseudonym. A new Send waits for that end, which comes at once for a
        stopped call; reloading the page is the way out should a call ever
        stay marked without running.
        """
        self.cancel.set()
        self.session = Session()
        self.last = self.last_request = None
        self.conversation = Conversation()
        self.history.clear()
        self.journal = Journal()

    def accept(self) -> bool:
        """A press of Send (or Run): mark a call as under way; False if one already is."""
        with self._lock:
            if self.pending:
                return False
            self.pending = True
            self.cancel.clear()
            return True

    def begin(self) -> None:
        """The call starts (after waiting in the queue). A Stop pressed while it waited still counts."""
        if not self.pending:
            self.accept()

    def finish(self) -> None:
        self.pending = False
        self.cancel.clear()

    def stop(self) -> bool:
        """Ask the waiting or running call to stop; False if there is none."""
        if self.pending:
            self.cancel.set()
        return self.pending


def discard(visit: Visit | None) -> None:
    """Gradio's delete callback when a tab's session expires: drop the vault at once."""
    if visit is not None:
        visit.reset()
