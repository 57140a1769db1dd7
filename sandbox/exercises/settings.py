"""What a card may set for each runner, validated before anything runs.

A card names a runner and gives its settings in TOML; the matching model
below checks them, so a typo in a card is caught by
``legeplads exercises validate`` rather than in front of a room of
participants. The models live apart from the runners so that validating
cards never loads the model, the guard or Presidio.

Prompt templates mark where text goes with ``{name}`` (``{materiale}`` for
the card's material, ``{svar}`` for hearing responses, any name for the
attribute in a Par variant). Filling is plain replacement, so other braces
in a prompt are left alone.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.backends.base import GenerationParams

_PLACEHOLDER = re.compile(r"\{([a-zæøå_]+)\}")

MATERIAL = "materiale"


def placeholders(template: str) -> set[str]:
    """The ``{name}`` slots in a template."""
    return set(_PLACEHOLDER.findall(template))


def fill(template: str, values: dict[str, str]) -> str:
    """Put values into their ``{name}`` slots; unknown slots are left as written."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


class RunnerSettings(BaseModel):
    """Settings every runner shares: the system prompt and how long and loose the answers are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str | None = None
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(200, ge=8, le=1024)

    def params(self, **changes: float | int | None) -> GenerationParams:
        """Generation parameters from these settings, with per-call changes (seed, temperature)."""
        values: dict[str, float | int | None] = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        values.update(changes)
        return GenerationParams(**values)  # type: ignore[arg-type]


class GentagSettings(RunnerSettings):
    """Nondeterminism: one prompt asked again and again."""

    prompt: str = Field(min_length=5)
    temperature: float = Field(0.8, ge=0.0, le=2.0)
    repeats: int = Field(3, ge=2, le=8, description="Svar pr. serie")
    fixed_seed: int = Field(42, ge=0, le=2**32 - 1)
    sweep: tuple[float, ...] = Field((0.0, 0.5, 1.0, 1.5), max_length=6)

    @field_validator("sweep")
    @classmethod
    def _sweep_in_range(cls, sweep: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0.0 <= t <= 2.0 for t in sweep):
            raise ValueError("temperaturerne skal ligge mellem 0 og 2")
        if list(sweep) != sorted(set(sweep)):
            raise ValueError("temperaturerne skal stå i stigende orden uden gentagelser")
        return sweep


Attribute = Literal["køn", "etnisk eller national baggrund", "alder", "handicap"]


class Variant(BaseModel):
    """One version of the prompt: a label and the words that fill the template's slots."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    values: dict[str, str]


class ParSettings(RunnerSettings):
    """Bias: one prompt in variants that differ only in one attribute."""

    template: str = Field(min_length=5)
    attribute: Attribute
    variants: tuple[Variant, ...] = Field(min_length=2, max_length=4)
    repeats: int = Field(3, ge=1, le=10, description="Gentagelser pr. variant")
    terms: tuple[str, ...] = Field((), description="Ord (eller begyndelser af ord), der tælles i svarene")
    temperature: float = Field(0.8, ge=0.0, le=2.0)

    @model_validator(mode="after")
    def _variants_fit_template(self) -> ParSettings:
        slots = placeholders(self.template)
        if not slots:
            raise ValueError("skabelonen skal have mindst én plads som {person}")
        for variant in self.variants:
            if set(variant.values) != slots:
                raise ValueError(
                    f"varianten '{variant.label}' skal udfylde præcis {sorted(slots)}, ikke {sorted(variant.values)}"
                )
        if len({v.label for v in self.variants}) != len(self.variants):
            raise ValueError("varianterne skal have forskellige navne")
        if len({self.prompt_for(v) for v in self.variants}) != len(self.variants):
            raise ValueError("varianterne giver samme prompt; de skal adskille sig i én egenskab")
        return self

    def prompt_for(self, variant: Variant) -> str:
        return fill(self.template, variant.values)


class SelvtjekSettings(RunnerSettings):
    """Hallucination: one careful answer checked against K loose samples (and the source)."""

    question: str = Field(min_length=5)
    kind: Literal["fakta", "opdigtet", "resume"]
    invented: str | None = Field(None, description="Hvad der er opdigtet i spørgsmålet (kind = opdigtet)")
    samples: int = Field(4, ge=2, le=8)
    main_temperature: float = Field(0.2, ge=0.0, le=2.0)
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    threshold: float = Field(0.5, gt=0.0, lt=1.0, description="Under denne støtte markeres sætningen")

    @model_validator(mode="after")
    def _kind_fits(self) -> SelvtjekSettings:
        if self.kind == "opdigtet" and not self.invented:
            raise ValueError("et spørgsmål om noget opdigtet skal sige, hvad der er opdigtet (invented)")
        if (self.kind == "resume") != (MATERIAL in placeholders(self.question)):
            raise ValueError("kun et resumé (kind = resume) sætter {materiale} ind i spørgsmålet, og det skal det")
        return self


class SandsynlighederSettings(RunnerSettings):
    """Black box: every token with its probability and the alternatives."""

    prompt: str = Field(min_length=5)
    top_logprobs: int = Field(5, ge=1, le=10)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    max_tokens: int = Field(40, ge=8, le=256)


class LaesbarhedSettings(RunnerSettings):
    """Plain language: rewrite the material and compare LIX before and after."""

    instruction: str = Field(min_length=5)
    target_lix: int = Field(35, ge=10, le=60)
    temperature: float = Field(0.4, ge=0.0, le=2.0)
    max_tokens: int = Field(400, ge=8, le=1024)

    @field_validator("instruction")
    @classmethod
    def _has_material(cls, instruction: str) -> str:
        if MATERIAL not in placeholders(instruction):
            raise ValueError("instruktionen skal indeholde {materiale}")
        return instruction


class HoeringssvarSettings(RunnerSettings):
    """Hearing responses: group by theme, summarise, compare with the key."""

    dataset: str = Field(min_length=1)
    instruction: str = Field(min_length=5)
    batch_size: int = Field(5, ge=1, le=25, description="Svar pr. kald til modellen")
    limit: int | None = Field(None, ge=1, description="Brug kun de første N svar")
    temperature: float = Field(0.3, ge=0.0, le=2.0)
    max_tokens: int = Field(300, ge=8, le=1024)

    @field_validator("instruction")
    @classmethod
    def _has_responses(cls, instruction: str) -> str:
        if "svar" not in placeholders(instruction):
            raise ValueError("instruktionen skal indeholde {svar}")
        return instruction


class PrivatlivSettings(RunnerSettings):
    """Privacy: show exactly what the model receives from a note full of personal data."""

    instruction: str = Field(min_length=5)
    expected: tuple[str, ...] = Field(min_length=1, description="Persondata i materialet (facit)")
    ask_model: bool = True
    temperature: float = Field(0.3, ge=0.0, le=2.0)

    @field_validator("instruction")
    @classmethod
    def _has_material(cls, instruction: str) -> str:
        if MATERIAL not in placeholders(instruction):
            raise ValueError("instruktionen skal indeholde {materiale}")
        return instruction


RUNNER_SETTINGS: dict[str, type[RunnerSettings]] = {
    "gentag": GentagSettings,
    "par": ParSettings,
    "selvtjek": SelvtjekSettings,
    "sandsynligheder": SandsynlighederSettings,
    "laesbarhed": LaesbarhedSettings,
    "hoeringssvar": HoeringssvarSettings,
    "privatliv": PrivatlivSettings,
}

RUNNER_TITLES: dict[str, str] = {
    "gentag": "Gentag: samme spørgsmål, flere svar",
    "par": "Par: samme spørgsmål om forskellige borgere",
    "selvtjek": "Selvtjek: hvilke påstande holder?",
    "sandsynligheder": "Sandsynligheder: ord for ord",
    "laesbarhed": "Læsbarhed: LIX før og efter",
    "hoeringssvar": "Høringssvar: temaer og resumé",
    "privatliv": "Privatliv: det modellen får at se",
}

RunnerName = Literal["gentag", "par", "selvtjek", "sandsynligheder", "laesbarhed", "hoeringssvar", "privatliv"]
