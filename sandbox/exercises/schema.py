"""The shape of the exercise data: cards, idébank, paths and hearing sets.

Cards are written by trainers in TOML, not by programmers, so the schema
does the checking a reviewer would otherwise have to: every field is there,
the runner settings fit the runner, the reflection includes the citizen,
the material really contains the personal data the privacy key lists. Every
problem comes back as a Danish sentence naming the field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.exercises.settings import MATERIAL, RUNNER_SETTINGS, RunnerName, RunnerSettings, placeholders

JobArea = Literal["udsatte-borgere", "borgerservice", "plan-miljo-byg", "okonomi", "kommunikation", "hr-jura"]
Mindset = Literal["bekymrede", "mulighedssoegende", "pragmatiske", "kritiske", "afventende"]
Category = Literal["brugsscenarie", "hallucination", "tilfaeldighed", "bias", "black-box", "privatliv", "laesbarhed"]
UseCase = Literal["sagsresume", "klart-sprog", "hoeringssvar", "mail"]
Focus = Literal["borger", "sagsbehandling", "dig", "kollegaer", "teknologi"]
Gain = Literal["tid", "kvalitet", "service"]
Horizon = Literal["nu", "plan", "fremtid"]

JOB_AREAS: dict[str, str] = {
    "udsatte-borgere": "Udsatte borgere (jobcenter, børn og unge, socialsager)",
    "borgerservice": "Borgerservice",
    "plan-miljo-byg": "Plan, miljø og byggesager",
    "okonomi": "Økonomi i stabe",
    "kommunikation": "Kommunikation i stabe",
    "hr-jura": "HR og jura",
}
MINDSETS: dict[str, str] = {
    "bekymrede": "De bekymrede",
    "mulighedssoegende": "De mulighedssøgende",
    "pragmatiske": "De pragmatiske",
    "kritiske": "De kritiske",
    "afventende": "De afventende",
}
CATEGORIES: dict[str, str] = {
    "brugsscenarie": "Brugsscenarie",
    "hallucination": "Hallucination",
    "tilfaeldighed": "Tilfældighed (sandsynlighed)",
    "bias": "Bias",
    "black-box": "Black box",
    "privatliv": "Privatliv og data",
    "laesbarhed": "Læsbarhed",
}
USE_CASES: dict[str, str] = {
    "sagsresume": "Sagsresumé",
    "klart-sprog": "Brev i klart sprog",
    "hoeringssvar": "Høringssvar",
    "mail": "Mail og korte tekster",
}
FOCUS: dict[str, str] = {
    "borger": "Borgeren",
    "sagsbehandling": "Sagsbehandlingen",
    "dig": "Dig selv",
    "kollegaer": "Dine kolleger",
    "teknologi": "Teknologien",
}
GAINS: dict[str, str] = {"tid": "Tid", "kvalitet": "Kvalitet", "service": "Service"}
HORIZONS: dict[str, str] = {
    "nu": "Nu (i brug i en eller flere kommuner)",
    "plan": "Planer (en kommune er i gang)",
    "fremtid": "Fremtid (kræver ny teknologi eller jura)",
}

# Which runner shows which phenomenon; use-case cards may use any runner.
CATEGORY_RUNNER: dict[str, str] = {
    "hallucination": "selvtjek",
    "tilfaeldighed": "gentag",
    "bias": "par",
    "black-box": "sandsynligheder",
    "privatliv": "privatliv",
    "laesbarhed": "laesbarhed",
}

Text = Annotated[str, Field(min_length=3)]
Id = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Material(Strict):
    """The synthetic input a participant works on. Invented people only."""

    title: Text
    text: str = ""
    note: Text = Field(description="Hvor materialet kommer fra; altid opdigtet")
    # The guard runs before the model; a word it masks never reaches it. These
    # are the words the exercise is about (an invented scheme, a department, a
    # signature), checked against the real guard by tests/test_exercise_guard.py.
    keep: tuple[str, ...] = Field((), description="Ord, øvelsen bygger på, og som værnet ikke må fjerne")


class Reflection(Strict):
    focus: Focus
    question: Text


class Runner(Strict):
    name: RunnerName
    settings: dict[str, object] = Field(default_factory=dict)


class Card(Strict):
    """One exercise card, as a trainer hands it out."""

    id: Id
    title: Text
    category: Category
    use_case: UseCase | None = None
    job_areas: tuple[JobArea, ...] = Field(min_length=1)
    mindsets: tuple[Mindset, ...] = Field(min_length=1)
    duration_minutes: int = Field(ge=5, le=60)
    learning_goal: Text
    material: Material
    steps: tuple[Text, ...] = Field(min_length=2)
    runner: Runner
    notice: tuple[Text, ...] = Field(min_length=1, description="Det skal du lægge mærke til")
    reflection: tuple[Reflection, ...] = Field(min_length=2)
    rule_of_thumb: Text
    trainer_notes: Text

    @model_validator(mode="after")
    def _consistent(self) -> Card:
        if (self.category == "brugsscenarie") != (self.use_case is not None):
            raise ValueError("use_case skal udfyldes for brugsscenarier og kun for dem")
        expected = CATEGORY_RUNNER.get(self.category)
        if expected and self.runner.name != expected:
            raise ValueError(f"kategorien {self.category} bruger runneren {expected}, ikke {self.runner.name}")
        if not any(r.focus in ("borger", "sagsbehandling") for r in self.reflection):
            raise ValueError("mindst ét refleksionsspørgsmål skal handle om borgeren eller sagsbehandlingen")
        try:
            settings = self.settings()
        except ValidationError as error:
            raise ValueError("; ".join(f"runner.settings.{line}" for line in danish_errors(error))) from None
        uses_material = any(
            MATERIAL in placeholders(str(value)) for value in settings.model_dump().values() if isinstance(value, str)
        )
        if uses_material and not self.material.text.strip():
            raise ValueError("runneren bruger {materiale}, men material.text er tom")
        for item in getattr(settings, "expected", ()):
            if item not in self.material.text:
                raise ValueError(f"facit-persondata '{item}' står ikke i material.text")
        return self

    def settings(self) -> RunnerSettings:
        """The runner settings, validated by the runner's own model."""
        return RUNNER_SETTINGS[self.runner.name].model_validate(self.runner.settings)


class Area(Strict):
    id: Id
    title: Text


class Idea(Strict):
    """One of the 63 possible use cases, in the project's own words."""

    id: Annotated[str, Field(pattern=r"^\d+\.\d+$")]
    area: Id
    title: Text
    description: Text
    gains: tuple[Gain, ...] = Field(min_length=1)
    horizon: tuple[Horizon, ...] = Field(min_length=1)
    caution: str = ""
    cards: tuple[Id, ...] = ()


class Idebank(Strict):
    source: Text
    areas: tuple[Area, ...] = Field(min_length=1)
    ideas: tuple[Idea, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _areas_exist(self) -> Idebank:
        known = {area.id for area in self.areas}
        for idea in self.ideas:
            if idea.area not in known:
                raise ValueError(f"idé {idea.id} hører til et ukendt område '{idea.area}'")
        if len({idea.id for idea in self.ideas}) != len(self.ideas):
            raise ValueError("to idéer har samme nummer")
        return self

    def matching(
        self, area: str | None, gains: tuple[str, ...] = (), horizons: tuple[str, ...] = ()
    ) -> tuple[Idea, ...]:
        """The ideas in ``area`` (None: all) with any of ``gains`` and any of ``horizons`` (empty: any)."""
        return tuple(
            idea
            for idea in self.ideas
            if (area is None or idea.area == area)
            and (not gains or set(gains) & set(idea.gains))
            and (not horizons or set(horizons) & set(idea.horizon))
        )


class Path(Strict):
    """A suggested order of cards for one mindset, with why it suits them."""

    mindset: Mindset
    title: Text
    why: Text
    cards: tuple[Id, ...] = Field(min_length=2)


class AgendaItem(Strict):
    minutes: int = Field(ge=5, le=90)
    title: Text
    what: Text
    cards: tuple[Id, ...] = ()


class Module(Strict):
    """A 3-hour module a trainer can run as it stands."""

    title: Text
    minutes: int
    agenda: tuple[AgendaItem, ...] = Field(min_length=3)

    @model_validator(mode="after")
    def _adds_up(self) -> Module:
        total = sum(item.minutes for item in self.agenda)
        if total != self.minutes:
            raise ValueError(f"dagsordenen fylder {total} minutter, ikke {self.minutes}")
        return self


class Programme(Strict):
    paths: tuple[Path, ...] = Field(min_length=5)
    module: Module

    @model_validator(mode="after")
    def _one_path_per_mindset(self) -> Programme:
        if sorted(p.mindset for p in self.paths) != sorted(MINDSETS):
            raise ValueError("der skal være præcis ét forløb for hver af de fem medarbejdertyper")
        return self


class HearingResponse(Strict):
    number: int = Field(ge=1)
    sender: Text
    kind: Literal["borger", "forening", "virksomhed", "myndighed"]
    text: Text


class Theme(Strict):
    """A theme in the key: which responses raise it and words that show a summary covered it."""

    id: Id
    name: Text
    terms: tuple[str, ...] = Field(min_length=1)
    responses: tuple[int, ...] = Field(min_length=1)
    minority: bool = False


class HearingSet(Strict):
    """A synthetic hearing on a plan, with the trainer's key of themes."""

    id: Id
    title: Text
    plan: Text
    note: Text
    responses: tuple[HearingResponse, ...] = Field(min_length=2)
    themes: tuple[Theme, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _key_points_to_responses(self) -> HearingSet:
        numbers = [r.number for r in self.responses]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("høringssvarene skal være nummereret 1, 2, 3 … uden huller")
        for theme in self.themes:
            unknown = set(theme.responses) - set(numbers)
            if unknown:
                raise ValueError(f"temaet '{theme.name}' peger på svar, der ikke findes: {sorted(unknown)}")
        return self


_MESSAGES = {
    "missing": "mangler",
    "extra_forbidden": "er ikke et kendt felt",
    "string_too_short": "er for kort",
    "too_short": "har for få elementer",
    "too_long": "har for mange elementer",
    "greater_than_equal": "er for lille",
    "less_than_equal": "er for stor",
    "greater_than": "er for lille",
    "less_than": "er for stor",
    "literal_error": "har en ukendt værdi",
    "string_pattern_mismatch": "må kun indeholde små bogstaver a-z, tal og bindestreger",
    "int_type": "skal være et helt tal",
    "int_from_float": "skal være et helt tal",
    "float_type": "skal være et tal",
    "string_type": "skal være tekst",
    "bool_type": "skal være sand eller falsk",
    "tuple_type": "skal være en liste",
    "dict_type": "skal være en tabel",
}


def danish_errors(error: ValidationError) -> list[str]:
    """One Danish line per problem: the field's path and what is wrong with it."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "value_error":
            what = str(problem.get("ctx", {}).get("error", problem["msg"]))
        else:
            what = _MESSAGES.get(problem["type"], problem["msg"])
            if problem["type"] in ("literal_error", "greater_than_equal", "less_than_equal") and "ctx" in problem:
                what += f" ({', '.join(f'{k}: {v}' for k, v in problem['ctx'].items())})"
        lines.append(f"{where}: {what}" if where else what)
    return lines
