"""The "Log" tab for compliance staff: entries, filters, a chart, chain status and export.

It reads the same :class:`~sandbox.audit.AuditLog` the pipeline writes, with
the same filters and exports as ``legeplads log``. Hiding the tab from other
roles is a courtesy; every handler here checks the role again on the
server, because a participant could call the endpoints directly.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import gradio as gr
import pandas as pd

from sandbox.audit import AuditLog, Verification
from sandbox.audit.labels import DECISION_LABELS, entity_label, exercise_title, finish_label
from sandbox.audit.text import (
    conversation_text,
    findings_text,
    local_time,
    messages_text,
    params_text,
    parse_moment,
    types_text,
    verification_text,
    warnings_text,
)
from sandbox.errors import UserError
from sandbox.exercises import card_titles
from sandbox.guards.result import ENTITY_TYPES
from sandbox.numbers import decimal, quantity
from sandbox.ui.events import INSTANT, refuse
from sandbox.ui.files import DOWNLOADS
from sandbox.ui.gate import owner_of

TABLE_LIMIT = 500
EXPORT_LIFETIME_S = 3600
ALL = ""
# The table is for a glance: what a reviewer scans row by row, sized to fit a 1280 px screen without
# scrolling sideways. Everything else about an entry is one click away, in the details below it.
COLUMNS = [
    "Nr.",
    "Tidspunkt",
    "Session",
    "Beslutning",
    "Fundet af værnet",
    "Prompt (maskeret)",
    "Svar (maskeret)",
]
COLUMN_WIDTHS = ["6%", "12%", "11%", "10%", "17%", "22%", "22%"]
# Texts in the table are cut to this many characters; the details show them in full.
TEXT_CHARS = 90
SESSION_CHARS = 10
CHART_LEAST_TOP = 10  # findings: the chart's y axis reaches at least this high (see chart_plot)
NO_DETAILS = "*Klik på en række for at se hele posten: prompt og svar i fuld længde, model, parametre og kæden.*"
PURGED = "(slettet efter opbevaringsperioden)"

RoleCheck = Callable[[gr.Request], bool]


class ComplianceTab:
    def __init__(self, log: AuditLog, may_see_log: RoleCheck) -> None:
        self.log = log
        self.may_see_log = may_see_log

    def build(self) -> None:
        """Create the tab's components (inside the current ``gr.Tab``) and wire their events."""
        gr.Markdown(
            "Alt, der er sendt til modellen, som værnet har maskeret det. Loggen indeholder pladsholdere og "
            "opsummeringer af fund, aldrig de oprindelige personoplysninger. Hver post er kædet sammen med den "
            "forrige med en hash, så ændringer og sletninger kan opdages."
        )
        self.verification = gr.Markdown(elem_id="lp-verification")
        with gr.Row():
            self.since = gr.Textbox(label="Fra dato", placeholder="ÅÅÅÅ-MM-DD", scale=1)
            self.until = gr.Textbox(label="Til og med dato", placeholder="ÅÅÅÅ-MM-DD", scale=1)
            self.entity_type = gr.Dropdown(
                [("Alle", ALL)] + [(entity_label(t), t) for t in ENTITY_TYPES],
                value=ALL,
                label="Type af personoplysning",
                scale=1,
            )
            self.decision = gr.Dropdown(
                [("Alle", ALL)] + [(label, key) for key, label in DECISION_LABELS.items()],
                value=ALL,
                label="Beslutning",
                scale=1,
            )
            self.exercise = gr.Dropdown(
                [("Alle", ALL)] + [(title, card_id) for card_id, title in card_titles().items()],
                value=ALL,
                label="Øvelse",
                scale=1,
            )
        with gr.Row():
            self.show = gr.Button("Vis", variant="primary", elem_id="lp-log-show")
            self.verify = gr.Button("Kontrollér kæden")
        # Counts are whole: the axis labels say so (d3's "d"), and chart_plot's y_lim keeps the steps whole.
        self.chart = gr.BarPlot(
            x="Dag",
            y="Antal",
            color="Type",
            label="Fundne personoplysninger pr. type og dag",
            y_axis_format="d",
            elem_id="lp-log-chart",
        )
        self.count = gr.Markdown()
        self.table = gr.Dataframe(
            headers=COLUMNS,
            interactive=False,
            wrap=True,
            column_widths=COLUMN_WIDTHS,
            max_height=640,
            elem_id="lp-log-table",
        )
        self.details = gr.Markdown(NO_DETAILS, elem_id="lp-log-details")
        with gr.Row():
            self.format = gr.Radio(
                [("CSV (Excel)", "csv"), ("JSON Lines (alle detaljer)", "jsonl")],
                value="csv",
                label="Eksportformat",
                info="Eksporten følger den valgte periode.",
            )
            self.export = gr.Button("Eksportér")
        self.file = gr.File(label="Eksporteret fil", interactive=False, elem_id="lp-log-file")
        filters = [self.since, self.until, self.entity_type, self.decision, self.exercise]
        view = [self.chart, self.count, self.table]
        self.show.click(self.on_show, filters, view, **INSTANT)
        self.verify.click(self.on_verify, None, [self.verification], **INSTANT)
        self.table.select(self.on_select, None, [self.details], **INSTANT)
        self.export.click(self.on_export, [self.format, self.since, self.until], [self.file], **INSTANT)

    def refresh_outputs(self) -> list[Any]:
        """What :meth:`on_refresh` fills, in order."""
        return [self.verification, self.chart, self.count, self.table]

    def on_refresh(self, request: gr.Request) -> tuple[Any, ...]:
        """Everything at once, unfiltered: what the tab shows when it is opened."""
        return (self.on_verify(request), *self.on_show(ALL, ALL, ALL, ALL, ALL, request))

    def on_show(
        self, since: str, until: str, entity_type: str, decision: str, exercise: str, request: gr.Request
    ) -> tuple[gr.BarPlot, str, list[list[Any]]]:
        self._check(request)
        try:
            filters = {
                "entity_type": entity_type or None,
                "decision": decision or None,
                "exercise_id": exercise or None,
            }
            entries = self.log.entries(**_period(since, until), **filters)
        except UserError as error:
            raise refuse(error.message, "Filteret kan ikke bruges") from None
        shown = entries[:TABLE_LIMIT]
        count = quantity(len(entries), "post", "poster") + (
            f"; de nyeste {TABLE_LIMIT} vises. Eksportér for at se alle." if len(entries) > TABLE_LIMIT else "."
        )
        return chart_plot(chart_frame(entries)), count, [table_row(entry) for entry in shown]

    def on_select(self, event: gr.SelectData, request: gr.Request) -> str:
        """The clicked row's entry in full; the row is found by its number, whatever the sort order."""
        self._check(request)
        try:
            log_id = int(event.row_value[0])
        except (TypeError, ValueError, IndexError):
            return NO_DETAILS
        entry = self.log.entry(log_id)
        return NO_DETAILS if entry is None else details_markdown(entry)

    def on_verify(self, request: gr.Request) -> str:
        self._check(request)
        return verification_markdown(self.log.verify())

    def on_export(self, fmt: str, since: str, until: str, request: gr.Request) -> str:
        """The log as a file for this login only, deleted once downloaded (see sandbox/ui/files.py)."""
        self._check(request)
        try:
            period = _period(since, until)
        except UserError as error:
            raise refuse(error.message, "Eksporten mislykkedes") from None
        path = DOWNLOADS.new_file(owner_of(request), f"legeplads-log-{datetime.now():%Y%m%d-%H%M%S}.{fmt}")
        try:
            with DOWNLOADS.open(path) as out:
                count = self.log.export(fmt, out, titles=card_titles(), **period)  # type: ignore[arg-type]
        except UserError as error:
            DOWNLOADS.discard(path.parent.name)
            raise refuse(error.message, "Eksporten mislykkedes") from None
        gr.Info(f"{quantity(count, 'post', 'poster')} eksporteret.")
        return str(path)

    def _check(self, request: gr.Request) -> None:
        if not self.may_see_log(request):
            raise refuse("Loggen kan kun ses af brugere med rollen compliance.", "Ingen adgang")


def _period(since: str | None, until: str | None) -> dict[str, datetime | None]:
    """The typed dates as the log's filters; "until" includes the whole day."""
    return {
        "since": parse_moment(since) if since and since.strip() else None,
        "until": parse_moment(until, end_of_day=True) if until and until.strip() else None,
    }


def verification_markdown(result: Verification) -> str:
    """The chain status for the tab: the verdict in bold, said once, then the detail and the anchor."""
    verdict, detail = verification_text(result)
    if not (result.ok and result.last_hash):
        return f"**{verdict}** {detail}"
    return f"**{verdict}** {detail}\n\nAnker til næste kontrol: `{result.checked}:{result.last_hash}`"


def chart_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """Findings per local day and type (summing each entry's counts), for the bar chart."""
    counts: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        day = local_time(entry["time"])[:10]
        for finding in entry["entities"]:
            counts[(day, entity_label(finding["type"]))] += finding["count"]
    rows = [{"Dag": day, "Type": kind, "Antal": n} for (day, kind), n in sorted(counts.items())]
    return pd.DataFrame(rows, columns=["Dag", "Type", "Antal"])


def chart_plot(frame: pd.DataFrame) -> gr.BarPlot:
    """The chart of ``frame``, its y axis in whole steps.

    Left to itself, Vega-Lite spaced the axis of a day with 1 or 2 findings
    in half steps (0, 0,5, 1, 1,5). Its ticks come in steps of 1, 2 or 5
    times a power of ten, about one per 40 pixels; an axis at least
    ``CHART_LEAST_TOP`` high gets steps of at least 1 on a chart of the
    usual height. The top is the highest day's bar, its types stacked.
    """
    highest = int(frame.groupby("Dag")["Antal"].sum().max()) if len(frame) else 0
    return gr.BarPlot(value=frame, y_lim=[0, max(CHART_LEAST_TOP, highest)])


def table_row(entry: dict[str, Any]) -> list[Any]:
    """One entry as a row under :data:`COLUMNS`, in the same Danish words as the CSV and ``log show``.

    Free text is cut short so every row fits the screen; :func:`details_markdown` has it whole.
    """
    session = entry["session"] or "–"
    return [
        entry["id"],
        local_time(entry["time"]),
        shorten(session, SESSION_CHARS),
        DECISION_LABELS[entry["decision"]],
        found_text(entry),
        PURGED if entry["purged"] else shorten(entry["prompt"] or "", TEXT_CHARS),
        answer_cell(entry),
    ]


def found_text(entry: dict[str, Any]) -> str:
    """What the guard found in the prompt, types and counts only, with art. 9 categories after them."""
    found = findings_text(entry["entities"]) or "intet"
    return f"{found}; art. 9: {warnings_text(entry['warnings'])}" if entry["warnings"] else found


def answer_cell(entry: dict[str, Any]) -> str:
    """The answer, cut short; an entry without an answer says why (its error, or that none was sent)."""
    if entry["purged"]:
        return PURGED
    if entry["response"]:
        return shorten(entry["response"], TEXT_CHARS)
    if entry["error"]:
        return shorten(f"Fejl: {entry['error']}", TEXT_CHARS)
    return f"({finish_label(entry)})" if finish_label(entry) else ""


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at ``limit`` characters with "…" so a cut is never mistaken for the end."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def details_markdown(entry: dict[str, Any]) -> str:
    """One entry's full record for the reviewer who clicked it: every field, texts in full, the chain links.

    Values a person or a model wrote go in code blocks, so a prompt's own
    markdown cannot change how the record reads.
    """
    facts = [
        ("Tidspunkt", f"{local_time(entry['time'])} (UTC: {entry['time']})"),
        ("Session", entry["session"] or "–"),
        ("Øvelse", _exercise_cell(entry["exercise_id"])),
        ("Samtale", conversation_text(entry) or "–"),
        ("Beslutning", DECISION_LABELS[entry["decision"]]),
        ("Fundet i prompten", findings_text(entry["entities"]) or "intet"),
        ("Art. 9-advarsler", warnings_text(entry["warnings"]) or "ingen"),
        ("Fundet i svaret", findings_text(entry["output_findings"]) or "intet"),
        ("Tilladt umaskeret", types_text(entry["allowed_types"]) or "intet"),
        ("Model", entry["model_name"]),
        ("Modelfilens sha256", _code(entry["model_sha256"]) if entry["model_sha256"] else "ukendt"),
        ("Afvikling (backend)", entry["backend"]),
        ("Parametre (inkl. seed)", params_text(entry["params"])),
        ("Tokens", _tokens(entry)),
        ("Stopårsag", finish_label(entry) or "–"),
        ("Svartid", "–" if entry["latency_ms"] is None else f"{decimal(entry['latency_ms'], 1)} ms"),
        ("Værnets konfiguration", _code(entry["guard_config"])),
        ("Indhold slettet (opbevaring)", "ja" if entry["purged"] else "nej"),
    ]
    lines = [f"### Post {entry['id']}", "", "| Felt | Indhold |", "|---|---|"]
    lines += [f"| {label} | {_table_cell(value)} |" for label, value in facts]
    earlier = (entry["messages"] or [])[:-1]
    if entry["turn"] is not None and earlier:
        lines += ["", "**Tidligere beskeder i samtalen, sendt med (maskeret)**", "", _fenced(messages_text(earlier))]
    for label, text in (
        ("Prompt (maskeret)", entry["prompt"]),
        ("Svar (maskeret)", entry["response"]),
        ("Fejl", entry["error"]),
    ):
        if text:
            lines += ["", f"**{label}**", "", _fenced(text)]
    if entry["purged"]:
        lines += ["", f"**Prompt og svar** {PURGED}"]
    chain = [("Postens hash", entry["hash"])]
    if "content_hash" in entry:
        chain = [("Forrige posts hash", entry["prev_hash"]), ("Indholdets hash", entry["content_hash"]), *chain]
    lines += ["", "**Kæden**", "", "| Felt | Værdi |", "|---|---|"]
    lines += [f"| {label} | {_code(value)} |" for label, value in chain]
    return "\n".join(lines)


def _exercise_cell(exercise_id: str | None) -> str:
    title = exercise_title(exercise_id, card_titles())
    return title if exercise_id is None or title == exercise_id else f"{title} ({exercise_id})"


def _tokens(entry: dict[str, Any]) -> str:
    if entry["prompt_tokens"] is None:
        return "–"
    return f"{entry['prompt_tokens']} ind / {entry['completion_tokens']} ud"


def _code(value: str) -> str:
    return f"`{value}`"


def _table_cell(value: str) -> str:
    """A value inside a markdown table row: on one line, its pipes escaped so it stays in its cell."""
    return " ".join(value.split()).replace("|", "\\|")


def _fenced(text: str) -> str:
    """``text`` in a code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"
