"""The ``legeplads`` command.

Every subcommand that reaches a model goes through :class:`sandbox.pipeline.Pipeline`.
Failures a person can cause are printed as a Danish sentence on stderr with
exit code 1, never as a traceback: a traceback can quote the text it choked
on, and that text may be personal data.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sandbox import cli_danish
from sandbox.errors import UserError

if TYPE_CHECKING:
    from sandbox.guards import Guard

F = TypeVar("F", bound=Callable[..., Any])

cli_danish.install()

UNEXPECTED = (
    "Legepladsen stødte på en uventet fejl ({kind}) og stoppede. Detaljerne vises ikke, fordi de kan "
    "indeholde din tekst. Kontakt den IT-ansvarlige, hvis det sker igen."
)


def friendly_errors(func: F) -> F:
    """Turn a :class:`UserError` into its Danish message and exit code 1.

    Anything else is a bug; it too ends in a Danish sentence and exit code 1,
    naming only the exception's type, because its text or traceback could
    quote the input.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as error:
            click.echo(f"Fejl: {error.message}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Afbrudt.", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - see the docstring
            click.echo("Fejl: " + UNEXPECTED.format(kind=type(error).__name__), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def read_stdin(where: str = "Teksten på standard-input") -> str:
    """All of stdin as text, read as bytes so that invalid UTF-8 is a Danish message whatever the locale.

    Python decodes ``sys.stdin`` with the locale's error handler, which is
    strict in, say, ``da_DK.UTF-8``: one stray byte would be a traceback.
    """
    from sandbox.guards.batch import decode

    if sys.stdin is None:
        raise UserError("Der er ingen tekst at læse: standard-input er lukket. Giv prompten som argument.")
    return decode(sys.stdin.buffer.read(), where)


model_option = click.option(
    "--model",
    "model",
    metavar="STI",
    help="GGUF-modelfil. Ellers: models/, $LEGEPLADS_MODEL, den medfølgende demomodel.",
)


def server_options(func: F) -> F:
    """``--backend openai --base-url URL``: a shared model server instead of a local model file.

    Each option also reads its ``LEGEPLADS_*`` environment variable, so IT can
    configure a service once (and keep the API key out of the process list).
    """
    options = [
        click.option("--backend", type=click.Choice(["llama", "openai"]), default=None, envvar="LEGEPLADS_BACKEND",
                     help="llama = lokal modelfil (standard); openai = delt modelserver (se docs/shared-server.md)."),
        click.option("--base-url", envvar="LEGEPLADS_BASE_URL", metavar="URL",
                     help="Modelserverens adresse, fx http://modelserver:8080/v1."),
        click.option("--api-key", envvar="LEGEPLADS_API_KEY", metavar="NØGLE",
                     help="Serverens API-nøgle. Sæt hellere miljøvariablen LEGEPLADS_API_KEY."),
        click.option("--remote-model", envvar="LEGEPLADS_REMOTE_MODEL", metavar="NAVN",
                     help="Modellens navn på serveren (kan udelades, når serveren kun har én)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(cls=cli_danish.DanishGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="legeplads")
def main() -> None:
    """Legeplads: en lokal, privatlivsbeskyttet sprogmodel til at øve sig på."""


@main.command()
@click.argument("prompt", required=False)
@model_option
@click.option("--seed", type=int, default=None, help="Fast seed (samme svar hver gang). Standard: tilfældig.")
@click.option("--temperature", type=float, default=0.7, show_default=True,
              help="Lav: forudsigelig. Høj: mere tilfældig. Skrives med punktum, fx 0.7.")
@click.option("--top-p", type=float, default=0.95, show_default=True,
              help="Vælg kun blandt de mest sandsynlige ord, der tilsammen udgør p.")
@click.option("--top-k", type=int, default=40, show_default=True, help="Vælg kun blandt de k mest sandsynlige ord.")
@click.option("--repeat-penalty", type=float, default=1.1, show_default=True,
              help="Over 1 gør det mindre sandsynligt, at modellen gentager sig selv.")
@click.option("--max-tokens", type=int, default=256, show_default=True, help="Hvor langt svaret højst må blive.")
@click.option("--system", default=None, help="Systemprompt (går også gennem værnet).")
@server_options
@friendly_errors
def ask(
    prompt: str | None,
    model: str | None,
    seed: int | None,
    temperature: float,
    top_p: float,
    top_k: int,
    repeat_penalty: float,
    max_tokens: int,
    system: str | None,
    backend: str | None,
    base_url: str | None,
    api_key: str | None,
    remote_model: str | None,
) -> None:
    """Stil ét spørgsmål gennem værnet. Svaret på stdout, fakta på stderr.

    Uden PROMPT læses spørgsmålet fra stdin.
    """
    from sandbox.backends.base import GenerationParams
    from sandbox.pipeline import Pipeline, Request, Session

    if prompt is None:
        prompt = read_stdin("Prompten på standard-input")
    params = GenerationParams(
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        repeat_penalty=repeat_penalty,
        max_tokens=max_tokens,
        seed=seed,
    )
    pipeline = Pipeline.open(
        model=model, backend=backend, base_url=base_url, api_key=api_key, remote_model=remote_model
    )
    result = pipeline.ask(Request(prompt=prompt, params=params, system=system), Session())
    click.echo(result.answer)
    facts = [
        f"model: {pipeline.info.name}" + (" (demomodel)" if pipeline.info.demo else ""),
        f"seed: {result.seed}",
        f"tokens: {result.prompt_tokens} ind, {result.completion_tokens} ud ({result.finish_reason})",
        f"værn: {result.input_guard.decision}",
    ]
    if result.input_guard.entities:
        facts.append("modellen så: " + result.input_guard.text)
    if result.output_guard.entities:
        facts.append(f"svaret er maskeret: {len(result.output_guard.entities)} fund")
    if result.log_id is not None:
        facts.append(f"log-id: {result.log_id}")
    for fact in facts:
        click.echo(fact, err=True)


@main.group()
def models() -> None:
    """Modeller, som legepladsen kan finde."""


@models.command("list")
@model_option
@friendly_errors
def models_list(model: str | None) -> None:
    """Vis de fundne modeller, og hvilken `serve` vil bruge."""
    from sandbox.models import discover, select
    from sandbox.numbers import thousands

    chosen = select(model)
    for candidate in discover(model):
        marker = "*" if candidate.path == chosen.path else " "
        demo = "demomodel" if candidate.demo else "rigtig model"
        megabytes = round(candidate.size_bytes / 1e6)
        size = f"{thousands(megabytes)} MB" if candidate.size_bytes else "samles ved første brug"
        click.echo(f"{marker} {candidate.name}  {size}  {demo}  kilde: {candidate.source}  {candidate.path}")
    click.echo(f"\n* = den model `legeplads serve` bruger: {chosen.name}", err=True)


@models.command("catalog")
@friendly_errors
def models_catalog() -> None:
    """Anbefalede modeller til dansk, og om de er hentet."""
    from sandbox.models import catalog

    for entry in catalog.CATALOG:
        click.echo(catalog.summary_line(entry))
    click.echo("\nHent en: python scripts/download_model.py NAVN   Detaljer og kilder: models/README.md", err=True)


@main.command()
@model_option
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADRESSE",
              help="0.0.0.0 = workshop-tilstand (kræver logins).")
@click.option("--port", default=7860, show_default=True, type=int, help="Portnummeret i adressen.")
@click.option("--pladser", "slots", type=click.IntRange(1, 16), default=None,
              help="Hvor mange svar modellen skriver på én gang (standard: 8 for små modeller, 4 for store; "
                   "hver plads bruger hukommelse til modellens kontekst). Også $LEGEPLADS_SLOTS.")
@click.option("--visning", "view", type=click.Choice(["deltager", "underviser", "compliance", "alt"]),
              default="deltager", show_default=True,
              help="Uden logins: hvad du ser. deltager = Legeplads, Øvelser og Om; underviser = også "
                   "underviserpanelet; compliance = også loggen; alt = det hele. Med logins bestemmer rollen.")
@server_options
@friendly_errors
def serve(
    model: str | None,
    host: str,
    port: int,
    slots: int | None,
    view: str,
    backend: str | None,
    base_url: str | None,
    api_key: str | None,
    remote_model: str | None,
) -> None:
    """Start web-appen (kun på denne computer som standard)."""
    from sandbox.ui import serve as serve_app

    serve_app(model=model, host=host, port=port, slots=slots, view=view, backend=backend,
              base_url=base_url, api_key=api_key, remote_model=remote_model)


@main.command()
@click.option("--json", "as_json", is_flag=True,
              help="Skriv JSON: teksten med pladsholdere og hvert fund med placering.")
@click.option("--jsonl", "as_jsonl", is_flag=True,
              help='Batch: hver linje ind er et JSON-objekt med "text"; ét resultat ud pr. linje.')
@friendly_errors
def redact(as_json: bool, as_jsonl: bool) -> None:
    """Erstat personoplysninger i tekst fra stdin. Intet sendes til en model eller logges."""
    import json

    from sandbox.guards.batch import redact_document, redact_jsonl

    out = sys.stdout.buffer
    if as_jsonl:
        guard = _guard()
        lines = _NumberedLines(sys.stdin.buffer)
        try:
            for result in redact_jsonl(guard, lines):
                out.write((json.dumps(result, ensure_ascii=False) + "\n").encode("utf-8"))
                out.flush()
        except (ValueError, RecursionError) as error:
            raise lines.unreadable(error) from None
        return
    data = sys.stdin.buffer.read()
    result = redact_document(_guard(), data)
    text = json.dumps(result.to_json(), ensure_ascii=False) + "\n" if as_json else result.text
    out.write(text.encode("utf-8"))


@functools.cache
def _guard() -> Guard:
    """The guard, loaded once per process.

    Loading takes seconds, and one process may run ``redact`` many times (the
    fuzz tests do, through click's test runner).
    """
    from sandbox.guards import Guard

    return Guard()


class _NumberedLines:
    """stdin's lines, remembering the one being read, so a JSON error the batch reader lets through can name it."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = lines
        self.number = 0
        self.current = b""

    def __iter__(self) -> Iterator[bytes]:
        for number, line in enumerate(self._lines, start=1):
            self.number, self.current = number, line
            yield line

    def unreadable(self, error: ValueError | RecursionError) -> Exception:
        """The Danish message for a line Python's JSON reader refuses beyond syntax; else the error itself.

        ``json`` raises ValueError for an integer of more than 4,300 digits and
        RecursionError for brackets nested thousands deep. Which one it was is
        found by reading the line again, so an error from elsewhere is not
        mistaken for bad JSON.
        """
        import json

        from sandbox.numbers import thousands

        try:
            json.loads(self.current.decode("utf-8"))  # decodes: the batch reader already did
        except json.JSONDecodeError:
            return error
        except RecursionError:
            return UserError(
                f"Linje {self.number} kan ikke læses: JSON'en har for mange lag af [ ] eller {{ }} inden i "
                "hinanden. Send hver tekst som et enkelt objekt med feltet \"text\"."
            )
        except ValueError:
            return UserError(
                f"Linje {self.number} kan ikke læses: den har et tal med flere end "
                f"{thousands(sys.get_int_max_str_digits())} cifre. Skriv lange tal som tekst i anførselstegn."
            )
        return error


@main.group("log")
def log_group() -> None:
    """Compliance-loggen: hvad der er sendt til modellen, og hvad værnet gjorde."""


@log_group.command("path")
@friendly_errors
def log_path() -> None:
    """Vis stien til logfilen (SQLite)."""
    from sandbox.audit import AuditLog

    click.echo(AuditLog().path)


@log_group.command("show")
@click.option("--last", "last", default="10", show_default=True, metavar="N", help="Antal nyeste poster.")
@friendly_errors
def log_show(last: str) -> None:
    """Vis de nyeste poster, ældste øverst."""
    from sandbox.audit import AuditLog
    from sandbox.audit.text import entry_text
    from sandbox.exercises import card_titles

    if not last.isdigit() or int(last) < 1:
        raise UserError(f"--last skal være et helt tal større end 0 (fik {last!r}).")
    entries = AuditLog().entries(limit=int(last))
    if not entries:
        click.echo("Loggen er tom.", err=True)
    titles = card_titles()
    for entry in reversed(entries):
        click.echo(entry_text(entry, titles=titles) + "\n")


@log_group.command("verify")
@click.option("--anchor", default=None, metavar="NR:HASH",
              help="En tidligere noteret post og hash, som stadig skal passe.")
@friendly_errors
def log_verify(anchor: str | None) -> None:
    """Gennemgå hele hash-kæden. Exit-kode 1 ved første brud."""
    from sandbox.audit import AuditLog
    from sandbox.audit.text import parse_anchor, verification_text

    result = AuditLog().verify(parse_anchor(anchor) if anchor else None)
    verdict, detail = verification_text(result)
    if not result.ok:
        click.echo(f"{verdict}\n{detail}", err=True)
        sys.exit(1)
    click.echo(f"{verdict} {detail}")
    if result.last_hash:
        click.echo(f"Anker til næste kontrol (notér det uden for denne computer): {result.checked}:{result.last_hash}")


@log_group.command("purge")
@click.option("--older-than", "older_than", default=None, metavar="ALDER",
              help="Fx 30d (dage), 12h (timer), 4w (uger).")
@friendly_errors
def log_purge(older_than: str | None) -> None:
    """Slet teksten i poster ældre end ALDER. Kæden kan stadig verificeres."""
    from sandbox.audit import AuditLog
    from sandbox.audit.text import parse_age
    from sandbox.numbers import quantity

    if older_than is None:
        raise UserError("Angiv hvor gamle poster der skal slettes, fx --older-than 30d.")
    count = AuditLog().purge(parse_age(older_than))
    click.echo(
        f"Teksten i {quantity(count, 'post', 'poster')} ældre end {older_than} er slettet. "
        "Oprydningen er registreret i loggen."
    )


@log_group.command("export")
@click.option("--format", "fmt", default=None, metavar="csv|jsonl", help="csv til Excel, jsonl med alle detaljer.")
@click.option("--since", default=None, metavar="DATO", help="Fra og med, fx 2025-03-01 (lokal tid).")
@click.option("--until", default=None, metavar="DATO", help="Til og med, fx 2025-03-31 (hele dagen med).")
@click.option("--session", default=None, metavar="S", help="Kun én sessions poster (fx til en indsigtsanmodning).")
@click.option("-o", "--output", default=None, metavar="FIL", help="Skriv til FIL i stedet for stdout.")
@friendly_errors
def log_export(fmt: str | None, since: str | None, until: str | None, session: str | None, output: str | None) -> None:
    """Eksportér poster til regneark eller videre behandling."""
    from sandbox.audit import AuditLog
    from sandbox.audit.text import parse_moment
    from sandbox.exercises import card_titles
    from sandbox.numbers import quantity

    if fmt not in ("csv", "jsonl"):
        raise UserError("Vælg format med --format csv eller --format jsonl.")
    log = AuditLog()
    period = {
        "since": parse_moment(since) if since else None,
        "until": parse_moment(until, end_of_day=True) if until else None,
    }
    if output is None:
        count = log.export(fmt, sys.stdout.buffer, session=session, titles=card_titles(), **period)
    else:
        try:
            with open(output, "wb") as out:
                count = log.export(fmt, out, session=session, titles=card_titles(), **period)
        except OSError as error:
            raise UserError(f"Kan ikke skrive til {output}: {error.strerror}.") from None
    click.echo(f"{quantity(count, 'post', 'poster')} eksporteret" + (f" til {output}." if output else "."), err=True)


@main.group()
def users() -> None:
    """Logins til workshop-tilstand (--host 0.0.0.0): navn, rolle og adgangskode."""


@users.command("add")
@click.argument("name", metavar="NAVN")
@click.option("--rolle", "--role", "role", required=True, metavar="ROLLE",
              help="deltager, underviser eller compliance.")
@click.option("--password-stdin", is_flag=True, help="Læs adgangskoden fra stdin i stedet for at spørge.")
@friendly_errors
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Opret brugeren NAVN med en rolle (adgangskoden gemmes kun som hash)."""
    from sandbox.ui.auth import ROLE_LABELS, UserStore, role_code

    store = UserStore()
    role = role_code(role)
    store.check_new(name, role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Adgangskode", hide_input=True)
        if click.prompt("Gentag adgangskoden", hide_input=True) != password:
            raise UserError("De to adgangskoder er ikke ens. Brugeren er ikke oprettet.")
    store.add(name, role, password)
    click.echo(f"Brugeren {name} er oprettet med rollen {ROLE_LABELS[role]} i {store.path}.")


@users.command("list")
@friendly_errors
def users_list() -> None:
    """Vis brugerne og deres roller."""
    from sandbox.ui.auth import ROLE_LABELS, UserStore

    store = UserStore()
    found = store.users()
    if not found:
        click.echo(
            f"Ingen brugere endnu ({store.path}). Opret en med 'legeplads users add NAVN --rolle ROLLE'.", err=True
        )
    for user in found:
        click.echo(f"{user.name}  {ROLE_LABELS.get(user.role, user.role)}")


@users.command("remove")
@click.argument("name", metavar="NAVN")
@friendly_errors
def users_remove(name: str) -> None:
    """Fjern brugeren NAVN."""
    from sandbox.ui.auth import UserStore

    UserStore().remove(name)
    click.echo(f"Brugeren {name} er fjernet.")


@users.command("role")
@click.argument("name", metavar="NAVN")
@click.option("--rolle", "--role", "role", required=True, metavar="ROLLE",
              help="deltager, underviser eller compliance.")
@friendly_errors
def users_role(name: str, role: str) -> None:
    """Giv brugeren NAVN en anden rolle; adgangskoden bevares, og en kørende app logger brugeren ud med det samme."""
    from sandbox.ui.auth import ROLE_LABELS, UserStore, role_code

    role = role_code(role)
    UserStore().set_role(name, role)
    click.echo(f"Brugeren {name} har nu rollen {ROLE_LABELS[role]}.")


@main.group()
def exercises() -> None:
    """Øvelseskort, idébank og forløb."""


@exercises.command("list")
@click.option("--mindset", default=None, help="Kun kort til én medarbejdertype, fx bekymrede.")
@click.option("--area", "job_area", default=None, help="Kun kort fra ét fagområde, fx borgerservice.")
@friendly_errors
def exercises_list(mindset: str | None, job_area: str | None) -> None:
    """Vis alle øvelseskort."""
    from sandbox.exercises import load_cards
    from sandbox.exercises.schema import CATEGORIES

    for card in load_cards():
        if (mindset and mindset not in card.mindsets) or (job_area and job_area not in card.job_areas):
            continue
        click.echo(f"{card.id:<28} {card.duration_minutes:>3} min  {CATEGORIES[card.category]:<28} {card.title}")


@exercises.command("show")
@click.argument("card_id", metavar="ID")
@click.option("--trainer", is_flag=True, help="Tag noterne til underviseren med.")
@friendly_errors
def exercises_show(card_id: str, trainer: bool) -> None:
    """Vis ét øvelseskort som Markdown."""
    from sandbox.exercises import get_card
    from sandbox.exercises.render import card_markdown

    click.echo(card_markdown(get_card(card_id), trainer=trainer), nl=False)


@exercises.command("validate")
@friendly_errors
def exercises_validate() -> None:
    """Tjek alle kort, idébanken, forløbene og høringerne mod skemaet."""
    from sandbox.exercises import load_cards, validate

    problems = validate()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"Alle {len(load_cards())} kort, idébanken, forløbene og høringerne er gyldige.")


@exercises.command("ideas")
@click.option("--horizon", type=click.Choice(["nu", "plan", "fremtid"]), default=None,
              help="Kun idéer med den tidshorisont.")
@click.option("--gain", type=click.Choice(["tid", "kvalitet", "service"]), default=None,
              help="Kun idéer med den gevinst.")
@friendly_errors
def exercises_ideas(horizon: str | None, gain: str | None) -> None:
    """Vis idébankens 63 mulige brugsscenarier (* = der findes en øvelse)."""
    from sandbox.exercises import load_idebank

    for idea in load_idebank().ideas:
        if (horizon and horizon not in idea.horizon) or (gain and gain not in idea.gains):
            continue
        mark = "*" if idea.cards else " "
        click.echo(f"{mark} {idea.id:<5} {idea.title}  [{'/'.join(idea.gains)}; {'/'.join(idea.horizon)}]")


@exercises.command("run")
@click.argument("card_id", metavar="ID")
@model_option
@friendly_errors
def exercises_run(card_id: str, model: str | None) -> None:
    """Kør en øvelse gennem værnet og vis opsummeringen."""
    from sandbox.exercises import get_card
    from sandbox.exercises.runners import run_card
    from sandbox.pipeline import Pipeline, Session

    card = get_card(card_id)
    pipeline = Pipeline.open(model=model)
    result = run_card(
        card, pipeline, Session(), progress=lambda done, total, label: click.echo(f"[{done}/{total}] {label}", err=True)
    )
    click.echo(result.summary)


@exercises.command("record")
@click.argument("card_id", metavar="ID")
@model_option
@click.option("--ud", "output", default=None, metavar="FIL",
              help="Gem optagelsen i FIL. Standard: mappen optagelser/ i datamappen, hvor web-appen finder den.")
@server_options
@friendly_errors
def exercises_record(
    card_id: str,
    model: str | None,
    output: str | None,
    backend: str | None,
    base_url: str | None,
    api_key: str | None,
    remote_model: str | None,
) -> None:
    """Kør en øvelse på en rigtig model og gem kørslen, så den kan vises og afspilles på workshoppen."""
    from pathlib import Path

    from sandbox.exercises import get_card, recording
    from sandbox.pipeline import Pipeline, Session

    card = get_card(card_id)
    pipeline = Pipeline.open(model=model, backend=backend, base_url=base_url, api_key=api_key,
                             remote_model=remote_model)
    try:
        saved = recording.record(
            card, pipeline, Session(),
            progress=lambda done, total, label: click.echo(f"[{done}/{total}] {label}", err=True),
        )
    finally:
        pipeline.close()
    path = recording.save(saved, Path(output) if output else recording.default_path(saved))
    if saved.model.demo:
        click.echo("Bemærk: det er en demomodel. Brug --model STI eller --backend openai til en rigtig model.",
                   err=True)
    click.echo(f"{saved.label}. Gemt i {path}")


if __name__ == "__main__":
    main()
