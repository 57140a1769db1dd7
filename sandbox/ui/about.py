"""The "Om" tab: what the legeplads is, where data goes, and four things to understand.

Written for a first-time user who is unsure whether it is safe to type
anything at all, so it answers that first and plainly.
"""

from __future__ import annotations

import html

import gradio as gr

from sandbox.backends.base import ModelInfo

INTRO = """
## Hvad er legepladsen?

Et sted at øve sig i at bruge generativ AI (sprogmodeller) til administrativt arbejde:
skrive, omskrive, opsummere og stille spørgsmål. Her må du prøve dig frem og lave fejl.
Øvelserne viser, hvad sprogmodeller er gode til, hvor de fejler, og hvorfor.

## Hvor bliver dine data af?

{where}

1. Før noget når modellen, finder et **værn** personoplysninger (navne, CPR-numre, adresser,
   telefonnumre m.m.) og erstatter dem med pladsholdere som `[PERSON_1]`. Du kan se præcis,
   hvad modellen får, i feltet *Det ser modellen*, før du sender.
2. Modellens svar tjekkes af værnet igen.
3. Hver prompt skrives i en **log** på {computer}, så compliance kan se, hvad der er sendt.
   Loggen indeholder kun pladsholderne, aldrig dine oprindelige oplysninger.
4. Koblingen mellem pladsholder og dine oplysninger findes kun i hukommelsen for din session
   og forsvinder, når du lukker fanen eller trykker *Nulstil*.

Værnet er et sikkerhedsnet, ikke en tilladelse: det fanger ikke alt. Brug opdigtede eksempler,
når du kan.
"""

FOUR_THINGS = """
## Fire ting, der er værd at forstå om generativ AI

**1. En sort boks.** Ingen, heller ikke dem der har lavet modellen, kan pege på, *hvorfor* den
skrev netop det svar. Den har lært mønstre fra enorme mængder tekst og kan ikke vise sine kilder.
Et svar, der lyder overbevisende, er ikke dermed rigtigt: du har stadig ansvaret for det, du sender
videre til en borger eller en kollega.

**2. Bias.** Modellen har lært af tekster skrevet af mennesker, med de skævheder, de indeholder.
Den kan behandle to borgere forskelligt, fordi de hedder noget forskelligt, er ældre eller yngre,
eller er mænd eller kvinder. Øvelserne lader dig afprøve det ved at bytte én oplysning ud.

**3. Sandsynlighed, ikke opslag.** Modellen slår ikke op i en database. Den vælger ét ord ad
gangen ud fra, hvad der er sandsynligt, og trækker lod imellem mulighederne. Derfor kan samme
spørgsmål give forskellige svar (prøv *Kør igen*), og derfor kan den opfinde fakta, paragraffer
og navne, der lyder rigtige. Slå *Vis sandsynligheder* til for at se lodtrækningen.

**4. Data i åbne chatbots kan blive brugt til træning.** Det, du skriver i en gratis chatbot på
internettet, kan blive gemt og brugt til at træne næste version af modellen, og så er det ude af
kommunens kontrol. Skriv derfor aldrig borgeres oplysninger i en chatbot, som kommunen ikke har en
aftale om. {here}
"""

LOCAL_WHERE = "**Ingen steder.** Sprogmodellen kører på denne computer, og intet sendes på internettet."
LOCAL_HERE = "Her på legepladsen forlader intet computeren."
# Workshop mode: participants' browsers reach the trainer's laptop over the room's network.
WORKSHOP_WHERE = (
    "**Til underviserens computer her i lokalet, og ikke videre.** Din browser sender det, du skriver, "
    "over lokalets netværk til den computer, legepladsen kører på. Dér kører værnet, sprogmodellen og "
    "loggen, og intet sendes på internettet. Forbindelsen i lokalet er ikke krypteret, så brug opdigtede "
    "eksempler frem for rigtige borgeres oplysninger."
)
WORKSHOP_HERE = "Her på legepladsen forlader intet lokalet."
WORKSHOP_SERVER_WHERE = (
    "**Til underviserens computer her i lokalet, og derfra kun maskeret til kommunens egen modelserver "
    "({server}).** Din browser sender det, du skriver, over lokalets netværk (ukrypteret) til den computer, "
    "legepladsen kører på. Dér kører værnet og loggen, så modelserveren modtager kun tekst, hvor "
    "personoplysningerne er erstattet af pladsholdere. Brug opdigtede eksempler frem for rigtige borgeres "
    "oplysninger."
)
SERVER_WHERE = (
    "**Kun til kommunens egen modelserver ({server}), og kun maskeret.** Sprogmodellen kører på en "
    "server, som kommunen selv driver. Værnet og loggen kører her, så serveren modtager kun tekst, "
    "hvor personoplysningerne er erstattet af pladsholdere."
)
SERVER_HERE = "Her på legepladsen når kun maskeret tekst kommunens egen modelserver."


def model_markdown(info: ModelInfo, workshop: bool = False) -> str:
    """Which model answers, in words a participant can repeat to a colleague."""
    server = info.details.get("server")
    where = f"på modelserveren {html.escape(server)}" if server else "lokalt med llama.cpp"
    lines = [
        "## Hvilken model kører?",
        f"**{html.escape(info.name)}**, kørt {where}; den kan rumme "
        f"{info.context_length} tokens (prompt og svar tilsammen).",
    ]
    slots = info.details.get("slots")
    if slots and slots != "1":
        lines.append(
            f"Modellen skriver op til {slots} svar på én gang: den læser sine vægte én gang for dem alle. "
            "Et svar med fast seed regnes alene, så det kan gentages præcist."
        )
    if info.demo:
        lines.append(demo_notice(workshop))
    return "\n\n".join(lines)


DEMO_WARNING = (
    "⚠️ **Dette er en lille demomodel.** Den viser mekanikken (værnet, loggen, sandsynligheder, "
    "tilfældighed), men den opfinder frit og skriver ofte vrøvl."
)


def demo_notice(workshop: bool) -> str:
    """Shown wherever the model is named: a tiny demo model must not be mistaken for a real one.

    What to do about it depends on who reads it: at their own computer a
    caseworker can have IT fetch a larger model; a workshop participant
    cannot change the trainer's laptop, but can ask to see a real model's
    saved runs beside the cards.
    """
    if workshop:
        return (
            f"{DEMO_WARNING} Underviseren har valgt den, så lokalet kan øve mekanikken hurtigt. Har "
            "underviseren optaget en øvelse med en rigtig model, vises den optagelse ved siden af dit eget "
            "resultat under Øvelser."
        )
    return (
        f"{DEMO_WARNING} Til rigtig øvelse skal en større model hentes ned på computeren (2,5 GB, én gang). "
        "Bed IT om at køre `python scripts/download_model.py gemma-3-4b-it` i legepladsens mappe og starte "
        "legepladsen igen; den bruger så den nye model af sig selv."
    )


def trainer_demo_notice() -> str:
    """For the trainer in a workshop, who sees the participants' notice above but can change the laptop."""
    return (
        "**Demomodel.** Deltagerne øver på demomodellen, hvis svar er uden mening. Til rigtig øvelse: hent en "
        "større model før modulet (2,5 GB, én gang) med `python scripts/download_model.py gemma-3-4b-it` i "
        "legepladsens mappe, og start legepladsen igen; den bruger så den nye model af sig selv."
    )


def tagline(info: ModelInfo, workshop: bool) -> str:
    """The header's one line about where things run; it must be as true as the tab below."""
    if workshop:
        return "Øv dig med generativ AI. Legepladsen kører på underviserens computer her i lokalet."
    if info.details.get("server"):
        return "Øv dig med generativ AI. Værnet og loggen kører på denne computer, modellen på kommunens server."
    return "Øv dig med generativ AI. Alt kører på denne computer."


def build(info: ModelInfo, workshop: bool) -> None:
    """Render the tab's content inside the current ``gr.Tab``; ``workshop``: participants connect over a network."""
    server = info.details.get("server")
    if workshop and server:
        where, here = WORKSHOP_SERVER_WHERE.format(server=html.escape(server)), SERVER_HERE
    elif workshop:
        where, here = WORKSHOP_WHERE, WORKSHOP_HERE
    elif server:
        where, here = SERVER_WHERE.format(server=html.escape(server)), SERVER_HERE
    else:
        where, here = LOCAL_WHERE, LOCAL_HERE
    computer = "underviserens computer" if workshop else "denne computer"
    gr.Markdown(INTRO.format(where=where, computer=computer))
    gr.Markdown(model_markdown(info, workshop))
    gr.Markdown(FOUR_THINGS.format(here=here))
