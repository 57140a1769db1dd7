"""The "Legeplads" tab: free practice, with a live preview of what the model will see.

The order on screen follows the pipeline: the prompt, then (before anything
is sent) the redacted text the model would get, then the streamed answer
with the seed that produced it. Every model call goes through
:meth:`Pipeline.stream`; this module only turns its tokens and results into
things to look at.
"""

from __future__ import annotations

import contextlib
import html
import re
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import gradio as gr

from sandbox.audit import DECISION_LABELS
from sandbox.backends.base import GenerationParams, Token
from sandbox.errors import UserError
from sandbox.numbers import decimal, quantity, thousands
from sandbox.pipeline import MAX_PROMPT_CHARS, NEARLY_FULL, Pipeline, Request, Result, too_long
from sandbox.ui import preview, probabilities
from sandbox.ui.events import INSTANT, idle, model_call, refuse, stop, stop_button
from sandbox.ui.fold import fold
from sandbox.ui.state import Visit

TOP_ALTERNATIVES = 5
# Seconds between redraws of a streaming answer: ten a second for one answer; with
# several written at once, about ROOM_REDRAWS a second in all. Every redraw is work
# for Gradio's event loop, which shares two cores with the model: with 8 answers at
# once, 0.3 s instead of 0.1 s between redraws made the room 13 % faster (9.8 → 8.5 s,
# six runs each), and an answer redrawn three times a second still reads as it is written.
STREAM_INTERVAL = 0.1
ROOM_REDRAWS = 30
MAX_SEED = 2**32 - 1
MAX_TOKENS_CHOICE = 1024
TEMPERATURE, TOP_P = "Temperatur", "Top-p"
SEED_RANDOM, SEED_FIXED = "Tilfældig", "Fast"
FINISH_STATUS = {
    "stop": "**Færdig.**",
    "length": "**Færdig.** Svaret stoppede ved grænsen for antal tokens. Hæv den under *Indstillinger* for et "
    "længere svar.",
    "cancelled": "**Stoppet.** Du stoppede svaret, så det er ufuldstændigt.",
}
NOTHING_YET = "Her ser du, hvad modellen får at se, når du har skrevet noget."
STOPPED_BEFORE = "**Stoppet** før modellen gik i gang. Intet er sendt."
CHANGED = (
    "Teksten i feltet er ændret, siden du sendte. «Kør igen» gentager kun den prompt, du sendte sidst; "
    "tryk Send for at sende den nye tekst."
)
# Under the buttons while "Kør igen" is switched off after a send (see rerun_button).
RERUN_OFF = (
    "«Kør igen» sender den prompt, du sendte sidst, en gang til. Knappen er slået fra, fordi du har ændret "
    "teksten i feltet: tryk Send for at sende den nye tekst."
)
NEW_CONVERSATION = (
    "**Ny samtale.** Din næste prompt sendes alene, uden de tidligere beskeder. Dine pladsholdere gælder stadig "
    "i denne session; «Nulstil» glemmer også dem."
)
# "Svar på" under an answer shows this much of the prompt the model got (masked).
ANSWERS_TO_CHARS = 120
EMPTY_ANSWER = '<div class="lp-answer lp-empty">Svaret kommer her.</div>'
RESTORED_NOTE = (
    "Kun på din skærm: dine egne oplysninger er sat ind i stedet for pladsholderne. "
    "Modellen og loggen har kun set pladsholderne."
)
BOTH_NOTE = (
    "Sandsynlighederne vises for det svar, modellen selv skrev (med pladsholdere). "
    "Slå «Vis sandsynligheder» fra for at se svaret med dine egne oplysninger."
)
NO_WORDS_NOTE = (
    "Modellen svarede ikke med et eneste ord: det første, den trak, var «slut». Det kan ske, fordi svaret "
    "trækkes efter sandsynlighed. Med tilfældigt seed giver «Kør igen» et nyt forsøg."
)
HIDDEN_NOTE = (
    "Sandsynlighederne kan ikke vises for dette svar"
    " (modellen gav ingen, eller svaret blev ændret af værnet på en måde, der ikke kan vises ord for ord)."
)


class Playground:
    """The tab's components and handlers, around one pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def build(self, visit: gr.State) -> None:
        """Create the tab's components (inside the current ``gr.Tab``) and wire their events."""
        context = self.pipeline.info.context_length
        gr.Markdown(
            "Skriv en opgave til modellen. Under feltet ser du, hvad modellen får at se: "
            "personoplysninger er skiftet ud med pladsholdere, **før** noget sendes."
        )
        self.prompt = gr.Textbox(
            label="Din prompt",
            lines=5,
            max_lines=20,
            placeholder="Fx: Skriv et venligt svar til Jens Hansen om …",
            elem_id="lp-prompt",
        )
        self.preview = gr.HighlightedText(
            label="Det ser modellen",
            show_legend=True,
            combine_adjacent=False,
            elem_id="lp-preview",
        )
        self.explanation = gr.Markdown(NOTHING_YET, elem_id="lp-explanation")
        # What else the model gets: the conversation's earlier turns go with every prompt.
        self.earlier = gr.Markdown(elem_id="lp-earlier")
        with gr.Row():
            self.send = gr.Button("Send", variant="primary", elem_id="lp-send")
            self.stop = gr.Button("Stop", variant="stop", elem_id="lp-stop", interactive=False)
            # Only for the prompt that was sent last: with other text in the box, "Kør igen" would
            # answer a prompt the user no longer sees, so it is off until the box holds it again.
            self.rerun = gr.Button("Kør igen", interactive=False, elem_id="lp-rerun")
            self.new = gr.Button("Ny samtale", elem_id="lp-new")
        # A switched-off button says nothing, so a line under it says why (see rerun_button).
        self.rerun_note = gr.Markdown(elem_id="lp-rerun-note", elem_classes=["lp-note"])
        with fold("Indstillinger", "lp-settings"):
            with gr.Row():
                self.temperature = gr.Slider(
                    0.0,
                    2.0,
                    value=0.7,
                    step=0.05,
                    label=slider_label(TEMPERATURE, 0.7),
                    info="Lav: forudsigelig. Høj: mere tilfældig og kreativ.",
                    elem_id="lp-temperature",
                    elem_classes=["lp-comma-slider"],
                )
                self.top_p = gr.Slider(
                    0.05,
                    1.0,
                    value=0.95,
                    step=0.05,
                    label=slider_label(TOP_P, 0.95),
                    info="Vælg kun blandt de mest sandsynlige ord, der tilsammen udgør p.",
                    elem_id="lp-top-p",
                    elem_classes=["lp-comma-slider"],
                )
                self.max_tokens = gr.Slider(
                    8,
                    min(MAX_TOKENS_CHOICE, context),
                    value=200,
                    step=8,
                    label="Maks. antal tokens",
                    info="Hvor langt svaret højst må blive.",
                    elem_id="lp-max-tokens",
                )
            with gr.Row():
                self.seed_mode = gr.Radio(
                    [SEED_RANDOM, SEED_FIXED],
                    value=SEED_RANDOM,
                    label="Seed",
                    info="Fast seed + samme indstillinger = samme svar hver gang.",
                    elem_id="lp-seed-mode",
                )
                # No minimum/maximum here: gradio would refuse a bad value in English before any
                # handler runs; _params checks the range and says it in Danish.
                self.seed = gr.Number(label="Fast seed", precision=0, value=42, elem_id="lp-seed")
                self.use_seed = gr.Button("Brug seedet fra sidste svar", size="sm")
        self.context = gr.HTML(context_html(0, context, 200), elem_id="lp-context")
        self.conversation = gr.HTML(elem_id="lp-conversation")
        self.status = gr.Markdown(elem_id="lp-status")
        self.answer = gr.HTML(EMPTY_ANSWER, js_on_load=None, elem_id="lp-answer")
        self.meta = gr.Markdown(elem_id="lp-meta")
        with gr.Row():
            self.show_probs = gr.Checkbox(
                label="Vis sandsynligheder",
                value=False,
                elem_id="lp-probs",
                info="Farv hvert ord efter, hvor sikker modellen var.",
            )
            self.show_restored = gr.Checkbox(
                label="Vis svaret med mine egne oplysninger",
                value=False,
                elem_id="lp-restored",
                info="Kun på din skærm; modellen og loggen ser dem aldrig.",
            )
        with gr.Accordion("Tidligere svar i denne session", open=False):
            self.history = gr.Dataframe(
                headers=["Tid", "Seed", "Modellen så", "Svar", "Tur"],
                interactive=False,
                wrap=True,
                column_widths=["10%", "11%", "36%", "36%", "7%"],
            )
        self._wire(visit)

    def _wire(self, visit: gr.State) -> None:
        params = [self.temperature, self.top_p, self.max_tokens, self.seed_mode, self.seed]
        toggles = [self.show_probs, self.show_restored]
        outputs = [self.answer, self.meta, self.status, self.history]
        after = ([self.prompt, self.max_tokens, visit], self.conversation_outputs)
        self.prompt.change(
            self.on_preview,
            [self.prompt, visit],
            [self.preview, self.explanation],
            trigger_mode="always_last",
            show_progress="hidden",
            concurrency_limit=None,
            api_name="forhaandsvis",
        )
        model_event = model_call(shows_progress_on=self.answer, slots=self.pipeline.slots)
        presses = [self.send.click, self.prompt.submit]
        # Every press reaches the server ("multiple"): gradio would otherwise drop a second
        # press silently while the first is being accepted, and tell it only when it came later.
        accepted = [self.status, self.stop]
        sent = gr.on(
            presses, self.on_accept, [self.prompt, *params, visit], accepted, trigger_mode="multiple", **INSTANT
        ).success(self.on_send, [self.prompt, *params, *toggles, visit], outputs, api_name="send", **model_event)
        rerun = self.rerun.click(
            self.on_accept_rerun, [self.prompt, *params, visit], accepted, trigger_mode="multiple", **INSTANT
        ).success(self.on_rerun, [*params, *toggles, visit], outputs, api_name="koer_igen", **model_event)
        for call in (sent, rerun):
            call.then(self.on_conversation, *after, **INSTANT)
            call.then(idle, None, [self.stop], **INSTANT)
        self.new.click(
            self.on_new_conversation,
            [visit],
            [self.answer, self.meta, self.status],
            api_name="ny_samtale",
            concurrency_limit=None,
            show_progress="hidden",
        ).then(self.on_conversation, *after, **INSTANT)
        self.prompt.change(rerun_button, [self.prompt, visit], [self.rerun, self.rerun_note], **INSTANT)
        self.max_tokens.change(self.on_conversation, *after, trigger_mode="always_last", **INSTANT)
        self.stop.click(stop, [visit], None, api_name="stop", concurrency_limit=None, show_progress="hidden")
        for toggle in toggles:
            toggle.change(self.on_toggle, [*toggles, visit], [self.answer], queue=False, api_visibility="private")
        self.use_seed.click(self.on_use_seed, [visit], [self.seed_mode, self.seed], **INSTANT)
        for slider, name in ((self.temperature, TEMPERATURE), (self.top_p, TOP_P)):
            slider.change(relabel(name), [slider], [slider], trigger_mode="always_last", **INSTANT)

    @property
    def conversation_outputs(self) -> list[Any]:
        """What shows the conversation's state (see :meth:`on_conversation`); "Nulstil" refreshes them too."""
        return [self.rerun, self.rerun_note, self.earlier, self.context, self.conversation]

    # -- handlers --------------------------------------------------------------

    def on_preview(self, text: str, visit: Visit) -> tuple[Any, str]:
        """What the model would see for ``text``; no model call, nothing logged."""
        nothing = gr.HighlightedText([], color_map={})
        if not text or not text.strip():
            return nothing, NOTHING_YET
        if len(text) > MAX_PROMPT_CHARS:
            return nothing, too_long(text)
        try:
            result = self.pipeline.preview(text, visit.session)
        except UserError as error:
            return nothing, f"**Fejl:** {error.message}"
        pieces, colours = preview.highlights(text, result)
        return gr.HighlightedText(pieces, color_map=colours), preview.explanation(result)

    def on_accept(self, prompt: str, *settings_and_visit: Any) -> tuple[str, Any]:
        """Refuse at once what would be refused anyway, before it waits in the queue."""
        *settings, visit = settings_and_visit
        if not prompt or not prompt.strip():
            raise refuse("Prompten er tom. Skriv en opgave eller et spørgsmål, før du sender.", "Tom prompt")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise refuse(too_long(prompt), "For lang tekst")
        return self._accept(visit, settings)

    def on_accept_rerun(self, prompt: str, *settings_and_visit: Any) -> tuple[str, Any]:
        *settings, visit = settings_and_visit
        if visit.last_request is None:
            raise refuse("Send en prompt først; så kan du køre den igen.", "Intet at køre igen")
        if prompt != visit.last_request.prompt:
            raise refuse(CHANGED, "Teksten er ændret")
        return self._accept(visit, settings)

    def _accept(self, visit: Visit, settings: list[Any]) -> tuple[str, Any]:
        """The status line and a live Stop for a call that may go ahead."""
        # The settings are checked here, before the call is marked as under way: the
        # model call that follows must not fail before it starts, or the mark would stay.
        try:
            _params(*settings)
        except UserError as error:
            raise refuse(error.message, "Indstillingerne") from None
        if not visit.accept():
            raise refuse("Du har allerede sendt en prompt. Vent på svaret, eller tryk Stop.", "Vent lidt")
        status = (
            f"**Sendt.** Modellen skriver op til {self.pipeline.slots} svar ad gangen; "
            "er der flere, vises din plads i køen ved svaret."
        )
        return status, stop_button(True)

    def on_send(
        self,
        prompt: str,
        temperature: float,
        top_p: float,
        max_tokens: float,
        seed_mode: str,
        seed: float | None,
        show_probs: bool,
        show_restored: bool,
        visit: Visit,
    ) -> Iterator[tuple]:
        """Stream the answer to ``prompt`` through the pipeline."""
        settings = (temperature, top_p, max_tokens, seed_mode, seed)
        # The conversation as it is when the call's turn comes (after any "Ny samtale" meanwhile).
        ask = lambda params: Request(prompt, params, conversation=visit.conversation)  # noqa: E731
        yield from self._run(visit, ask, settings, show_probs, show_restored)

    def on_rerun(
        self,
        temperature: float,
        top_p: float,
        max_tokens: float,
        seed_mode: str,
        seed: float | None,
        show_probs: bool,
        show_restored: bool,
        visit: Visit,
    ) -> Iterator[tuple]:
        """The last turn again, with the same earlier turns and the current settings: a new seed gives a new answer."""
        settings = (temperature, top_p, max_tokens, seed_mode, seed)
        yield from self._run(visit, lambda params: _again(visit, params), settings, show_probs, show_restored)

    def _run(
        self,
        visit: Visit,
        ask: Callable[[GenerationParams], Request],
        settings: tuple,
        show_probs: bool,
        show_restored: bool,
    ) -> Iterator[tuple]:
        """One model call for this tab, from its start in the queue to its end, whatever happens."""
        visit.begin()
        try:
            request = ask(_params(*settings))
            yield from self._answer(request, visit, show_probs, show_restored)
        except UserError as error:
            yield self._failed(error, visit, show_probs, show_restored)
        finally:
            visit.finish()

    def on_conversation(self, prompt: str, max_tokens: float, visit: Visit) -> tuple[Any, str, str, str, str]:
        """The conversation as it stands: Kør igen, what goes with the next prompt, how full it is, its turns."""
        used = self.pipeline.context_used(visit.conversation)
        return (
            *rerun_button(prompt, visit),
            earlier_note(visit),
            context_html(used, self.pipeline.info.context_length, int(max_tokens)),
            conversation_html(visit),
        )

    def on_new_conversation(self, visit: Visit) -> tuple[str, str, str]:
        """Start over: the answer goes, and the next prompt is sent without the earlier turns."""
        visit.new_conversation()
        return EMPTY_ANSWER, "", NEW_CONVERSATION

    def on_toggle(self, show_probs: bool, show_restored: bool, visit: Visit) -> str:
        return answer_html(visit, show_probs, show_restored)

    def on_use_seed(self, visit: Visit) -> tuple[Any, Any]:
        if visit.last is None:
            gr.Info("Der er endnu ikke noget svar at tage seedet fra.")
            return gr.skip(), gr.skip()
        return SEED_FIXED, visit.last.seed

    # -- the answer ------------------------------------------------------------

    def _answer(self, request: Request, visit: Visit, show_probs: bool, show_restored: bool) -> Iterator[tuple]:
        if visit.cancel.is_set():
            # The last answer stays: in a conversation it is the turn the next prompt follows.
            yield answer_html(visit, show_probs, show_restored), gr.skip(), STOPPED_BEFORE, gr.skip()
            return
        session = visit.session
        stream = self.pipeline.stream(request, session, visit.cancel)
        raw = ""
        count = 0
        shown = 0.0
        # Every redraw carries all four outputs: a gr.skip() costs gradio a new
        # component and a deep copy of its config (measured: 4.9 ms a redraw with
        # two skips, 1.3 ms with the values, which reach the browser as an empty
        # diff), CPU time a room's decoding waits for. The facts line is empty
        # until the answer it describes is there.
        rows = history_rows(visit)
        result: Result | None = None
        finished = False
        try:
            for item in stream:
                if isinstance(item, Token):
                    raw += item.text
                    count += 1
                    # The finished answer is always drawn; the ones on the way, as often as the room allows.
                    if time.monotonic() - shown < redraw_interval(min(self.pipeline.busy, self.pipeline.slots)):
                        continue
                    shown = time.monotonic()
                    yield (
                        _text_html(raw, streaming=True),
                        "",
                        f"**Modellen skriver …** ({quantity(count, 'token', 'tokens')})",
                        rows,
                    )
                else:
                    result = item
            finished = True
        finally:
            if not finished:
                # The browser went away or the model failed: make sure the
                # pipeline runs to its end, so the call is logged and the
                # model is free for the next person.
                visit.cancel.set()
                with contextlib.suppress(UserError):
                    for _ in stream:
                        pass
        assert result is not None
        visit.remember(session, request, result)
        yield (
            answer_html(visit, show_probs, show_restored),
            meta_markdown(request, result),
            FINISH_STATUS[result.finish_reason],
            history_rows(visit),
        )

    def _failed(self, error: UserError, visit: Visit, show_probs: bool, show_restored: bool) -> tuple:
        """The error, with the last answer back on screen: in a conversation it is the turn the next prompt follows."""
        gr.Warning(error.message)
        status = f"**Fejl:** {error.message}"
        return answer_html(visit, show_probs, show_restored), gr.skip(), status, history_rows(visit)


def slider_label(name: str, value: float | None) -> str:
    """'Temperatur: 0,7': a slider's value with the decimal comma.

    The slider's own number box is the browser's <input type="number">, which
    writes a decimal point (in the browser's language, not the page's) and
    cannot be given a comma, so the label carries the Danish figure and the
    box is hidden (``lp-comma-slider`` in theme.css).
    """
    return name if value is None else f"{name}: {decimal(value)}"


def relabel(name: str) -> Callable[[float | None], Any]:
    """The handler that writes a moved slider's new value into its label."""

    def update(value: float | None) -> Any:
        return gr.Slider(label=slider_label(name, value))

    return update


def _params(
    temperature: float, top_p: float, max_tokens: float, seed_mode: str, seed: float | None
) -> GenerationParams:
    """The settings as :class:`GenerationParams`; bad values become a Danish :class:`UserError`."""
    if seed_mode == SEED_FIXED and (seed is None or not 0 <= seed <= MAX_SEED):
        raise UserError(f"Skriv et helt tal fra 0 til {thousands(MAX_SEED)} som fast seed, eller vælg Tilfældig.")
    return GenerationParams(
        temperature=temperature,
        top_p=top_p,
        max_tokens=_whole(max_tokens),
        seed=_whole(seed) if seed_mode == SEED_FIXED else None,
        top_logprobs=TOP_ALTERNATIVES,
    )


def redraw_interval(writing: int) -> float:
    """Seconds between two redraws of a streaming answer while ``writing`` answers are written at once."""
    return max(STREAM_INTERVAL, writing / ROOM_REDRAWS)


def rerun_button(prompt: str, visit: Visit) -> tuple[Any, str]:
    """ "Kør igen" is on only while the box holds the prompt that was sent last; and the line under it.

    A switched-off button gives no reason, so while it is off after a send
    the line says why and what to do instead. Before the first send the line
    is empty: there is nothing to run again yet.
    """
    last = visit.last_request
    same = last is not None and prompt == last.prompt
    return gr.Button(interactive=same), RERUN_OFF if last is not None and not same else ""


def _again(visit: Visit, params: GenerationParams) -> Request:
    """The last request with new settings: the same prompt after the same earlier turns."""
    if visit.last_request is None:
        raise UserError("Send en prompt først; så kan du køre den igen.")
    return replace(visit.last_request, params=params)


def earlier_note(visit: Visit) -> str:
    """Under the preview: the earlier turns that go to the model with the prompt, so the preview is not all it sees."""
    count = len(visit.conversation.earlier)
    if not count:
        return ""
    return (
        f"**+ {quantity(count, 'tidligere besked', 'tidligere beskeder')} i samtalen** sendes også, før din prompt: "
        "dine prompter, som modellen så dem (maskeret), og dens svar, som du ser dem nedenfor. "
        "Tryk «Ny samtale» for at sende prompten alene."
    )


def context_html(used: int, limit: int, answer: int) -> str:
    """How much of the model's context the conversation fills, and a warning well before it is full.

    The model reads the whole conversation every turn and has room for
    ``limit`` tokens in all, the answer (up to ``answer`` tokens) included.
    A turn that would not fit is refused by the pipeline, never cut short.
    """
    share = round(100 * used / limit)
    facts = (
        f"Samtalen fylder {thousands(used)} af de {thousands(limit)} tokens, modellen kan rumme ad gangen "
        f"({share} %). Hele samtalen sendes med hver ny prompt, og svaret (op til {thousands(answer)} tokens) "
        "skal også være der."
    )
    if used + answer > limit:
        return (
            '<div class="lp-context lp-context-full" role="alert"><strong>Samtalen er fuld.</strong> '
            f"{html.escape(facts)} Der er ikke plads til en ny tur: tryk «Ny samtale» for at begynde forfra, "
            "eller sænk «Maks. antal tokens».</div>"
        )
    if used + answer >= NEARLY_FULL * limit:
        room = limit - used - answer
        return (
            '<div class="lp-context lp-context-full" role="alert"><strong>Samtalen er næsten fuld.</strong> '
            f"{html.escape(facts)} Der er plads til en prompt på ca. {thousands(room)} tokens mere. Modellen får "
            "aldrig kun en del af samtalen: når den er fuld, må du trykke «Ny samtale».</div>"
        )
    return f'<div class="lp-context"><strong>Modellens hukommelse:</strong> {html.escape(facts)}</div>'


def conversation_html(visit: Visit) -> str:
    """The turns before the answer on screen, as the model saw and wrote them; they were sent with its prompt."""
    before = visit.conversation.earlier[:-2]
    if not before:
        return ""
    turns = "".join(
        f'<div class="lp-turn lp-turn-{message.role}"><span class="lp-who">'
        f"{'Du (som modellen så det)' if message.role == 'user' else 'Modellen'}</span>"
        f"{html.escape(message.content)}</div>"
        for message in before
    )
    return (
        '<div class="lp-conversation"><p class="lp-block-title">Tidligere i samtalen '
        "(sendt med til modellen sammen med prompten)</p>"
        f"{turns}</div>"
    )


def _literal(text: str) -> str:
    """``text`` shown as typed inside Markdown: "[PERSON_1]", "*", "$$" and "&amp;" are not formatting."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&])", r"\\\1", text)


def _whole(value: Any) -> Any:
    """A float that is a whole number (as sliders send them) as an int; anything else unchanged."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _text_html(text: str, streaming: bool = False) -> str:
    classes = "lp-answer lp-streaming" if streaming else "lp-answer"
    return f'<div class="{classes}">{html.escape(text)}</div>'


def answer_html(visit: Visit, show_probs: bool, show_restored: bool) -> str:
    """The last answer as the toggles ask: plain, coloured by probability, or with originals restored."""
    result = visit.last
    if result is None:
        return EMPTY_ANSWER
    if not result.answer.strip():
        return f'<p class="lp-note">{html.escape(NO_WORDS_NOTE)}</p>' + _text_html("")
    if show_probs:
        masked = [(e.start, e.end, e.placeholder) for e in result.output_guard.entities if e.placeholder]
        pieces = probabilities.align(result.tokens, result.answer, masked)
        if pieces and any(piece.prob is not None for piece in pieces):
            note = f'<p class="lp-note">{html.escape(BOTH_NOTE)}</p>' if show_restored else ""
            return f'{note}<div class="lp-answer lp-probabilities">{probabilities.render(pieces)}</div>'
        return f'<p class="lp-note">{html.escape(HIDDEN_NOTE)}</p>' + _text_html(result.answer)
    if show_restored:
        return f'<p class="lp-note">{html.escape(RESTORED_NOTE)}</p>' + _text_html(result.restored(visit.session))
    return _text_html(result.answer)


def decoding_note(request: Request, result: Result) -> str:
    """How the answer was decoded, and so whether its seed brings it back (see sandbox/backends/engine.py)."""
    if result.decoded_together <= 1:
        return "**Regnet:** alene – samme seed giver samme svar igen"
    others = result.decoded_together - 1
    return (
        f"**Regnet:** sammen med {others} {'andet svar' if others == 1 else 'andre svar'} for at spare tid. "
        "Tallene afhænger en smule af, hvor mange svar der regnes på én gang, så samme seed kan give et lidt "
        "andet svar; vælg *Fast seed*, så regnes svaret alene og kan gentages"
    )


def meta_markdown(request: Request, result: Result) -> str:
    """The facts under an answer: the seed and the token limit actually used, tokens, time, the guard's decision."""
    seed_kind = "fast" if request.params.seed is not None else "tilfældigt valgt"
    parts = [
        f"**Svar på:** «{_literal(textwrap.shorten(result.input_guard.text, ANSWERS_TO_CHARS, placeholder=' …'))}»",
        f"**Seed:** {result.seed} ({seed_kind})",
        f"**Tokens:** {result.prompt_tokens} ind, {result.completion_tokens} ud (højst {request.params.max_tokens})",
        f"**Tid:** {result.latency_ms / 1000:.1f} s".replace(".", ","),
        f"**Værnet:** {DECISION_LABELS.get(result.input_guard.decision, result.input_guard.decision)}",
    ]
    if request.conversation is not None:
        earlier = len(request.conversation.earlier)
        with_earlier = f": modellen fik også {quantity(earlier, 'tidligere besked', 'tidligere beskeder')}"
        parts.append(f"**Samtale:** tur {request.conversation.turn}{with_earlier if earlier else ''}")
    if result.output_guard.entities:
        masked = quantity(len(result.output_guard.entities), "personoplysning", "personoplysninger")
        parts.append(f"**Svaret:** {masked} maskeret af værnet")
    parts.append(decoding_note(request, result))
    return " · ".join(parts)


def history_rows(visit: Visit) -> list[list[Any]]:
    return [[turn.time.strftime("%H:%M:%S"), turn.seed, turn.sent, turn.answer, turn.turn] for turn in visit.history]
