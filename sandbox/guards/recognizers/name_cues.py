"""Danish words around person names: cues that announce one, words and shapes that rule one out.

Used by :mod:`.person`. Lower-case sets are compared with lower-cased words;
the ending tuples with ``str.endswith`` on lower-cased words.
"""

import regex

# What follows a name that is a firm's: "& Søn", "& Partnere", "ApS", "Byg ApS", "A/S".
COMPANY = regex.compile(
    r"\s*(?:&|\+)\s*\p{Lu}|(?:\s+\p{Lu}\p{L}*){0,2}\s+(?:ApS|A/S|I/S|K/S|P/S|IVS|AMBA|A\.m\.b\.a\.)(?!\w)"
)

TITLES = frozenset(
    {
        "hr", "fru", "frk", "frøken", "dr", "mr", "mrs", "ms", "miss", "herr", "frau", "prof", "professor", "pastor",
        "sir", "lord", "lady", "dame", "baron", "baronesse", "greve", "grevinde", "komtesse", "lensgreve", "prins",
        "prinsesse", "kong", "dronning", "hertug", "hertuginde", "biskop", "provst", "fam", "familien",
    }
)
GREETINGS = frozenset({"kære", "hej", "hejsa", "goddag", "dear", "hi", "hello"})
SIGN_OFFS = frozenset({"hilsen", "mvh", "vh", "regards", "sincerely"})
NAMING_VERBS = frozenset({"hedder", "hed", "kaldes", "kaldet"})
NAMING_PHRASES = (("navn", "er"), ("navnet", "er"), ("name", "is"))
NAMING_SUBJECTS = frozenset({"jeg", "han", "hun", "navn", "navnet", "name"})
ROLES = frozenset(
    {
        "borger", "borgeren", "ansøger", "ansøgeren", "klager", "klageren", "barnet", "barn", "søn", "sønnen",
        "datter", "datteren", "mor", "moren", "moderen", "far", "faren", "faderen", "forælder", "ægtefælle",
        "ægtefællen", "hustru", "hustruen", "mand", "manden", "kone", "konen", "kæreste", "kæresten", "samlever",
        "samleveren", "søster", "søsteren", "bror", "broren", "sagsbehandler", "sagsbehandleren", "kollega",
        "kollegaen", "pårørende", "kontaktperson", "kontaktpersonen", "elev", "eleven", "patient", "patienten",
        "læge", "lægen", "advokat", "advokaten", "værge", "værgen", "tolk", "tolken", "nabo", "naboen", "lærer",
        "læreren", "pædagog", "pædagogen", "sygeplejerske", "sygeplejersken", "hjemmesygeplejerske",
        "ergoterapeut", "fysioterapeut", "leder", "lederen", "formand", "formanden", "bisidder", "skoleleder",
        "medarbejder", "medarbejderen", "chef", "chefen", "drengen", "pigen", "svigersøn", "svigerdatter",
        "barnebarn", "barnebarnet", "bedstemor", "bedstefar", "onkel", "tante", "fætter", "kusine", "vognmand",
        "udlejer", "udlejeren", "lejer", "lejeren", "beboer", "beboeren", "ejer", "ejeren", "kontohaver",
        "skadelidte", "deltager", "svigerfar", "svigermor", "svigerinde", "svoger", "stedfar", "stedmor",
        "plejemor", "plejefar", "plejebarn", "morfar", "mormor", "farfar", "farmor", "oldemor", "oldefar",
        "nevø", "niece", "veninde", "ven", "vennen", "kammerat", "partner", "partneren", "enke", "enkemand",
        "ekskone", "eksmand", "client", "applicant", "colleague", "v",
    }
)
# Form labels take a colon: "Navn: ...", "Tolk: ...".
LABELS = ROLES | frozenset(
    {
        "navn", "fornavn", "fornavne", "efternavn", "efternavne", "mellemnavn", "medansøger", "att", "til",
        "fra", "cc", "kopi", "underskrift", "underskrevet", "deltagere", "afbud", "stede", "name", "kontakt",
        "referent", "mødeleder", "ordstyrer",
    }
)
FINITE_VERBS = frozenset(
    {
        "har", "havde", "er", "var", "blev", "bliver", "skal", "skulle", "vil", "ville", "kan", "kunne", "må",
        "bor", "boede", "ringede", "ringer", "kom", "kommer", "fortalte", "fortæller", "oplyste", "oplyser",
        "siger", "sagde", "mødte", "møder", "ønsker", "ønskede", "fik", "får", "skriver", "skrev", "går", "gik",
        "tager", "tog", "arbejder", "arbejdede", "modtager", "modtog", "lider", "døde", "flyttede", "flytter",
        "mener", "synes", "spurgte", "spørger", "svarede", "sidder", "står", "ligger", "græd", "virker",
        "trives", "taler", "talte", "hedder", "deltog", "deltager", "mangler", "manglede", "bad", "beder",
    }
)
PREPOSITIONS = frozenset({"til", "med", "fra", "hos"})
PARTICLES = frozenset(
    {
        "van", "von", "de", "der", "da", "di", "du", "la", "le", "bin", "binti", "bint", "ibn", "al", "el", "abu",
        "ben", "dos", "das", "del", "della", "dela", "ter", "ten", "zu", "af", "í", "á", "við", "y", "do", "mc", "mac",
    }
)
ABBREVIATIONS = TITLES | frozenset(
    {"gl", "st", "ll", "sdr", "nr", "skt", "sct", "ca", "jf", "mvh", "vedr", "att", "tlf", "kl"}
)
# Capitalised words with these endings are organisations, institutions, groups of staff
# ("Ledergruppen" signing a mail) or streets.
ORGANISATION_ENDINGS = (
    "kommune", "styrelsen", "styrelse", "ministeriet", "ministerium", "direktoratet", "centret", "centeret",
    "center", "huset", "skolen", "skole", "skolerne", "gården", "hospital", "hospitalet", "sygehus", "sygehuset",
    "klinik", "klinikken", "tilsynet", "nævnet", "rådet", "retten", "banken", "fonden", "forvaltningen",
    "afdelingen", "sekretariatet", "instituttet", "regionen", "foreningen", "forening", "forbundet",
    "børnehave", "børnehaven", "vuggestuen", "plejehjem", "plejehjemmet", "hjemmet", "service", "partiet",
    "kirken", "biblioteket", "universitetet", "gymnasiet", "firmaet", "selskabet", "kontoret", "plejen",
    "tjenesten", "ordningen", "gruppen", "gruppe", "teamet", "vej", "vejen", "gade", "gaden", "allé", "plads",
    "pladsen", "torv", "torvet",
    "stræde", "vænget", "parken", "boulevard", "avenue", "bakken", "stien", ".dk", ".com",
)
# Unknown capitalised words with these endings are Danish nouns, adjectives or
# genitives ("Bekæmpelse", "Beskæftigelse", "Kræftens", "Psykiatrisk"), not names.
COMMON_WORD_ENDINGS = (
    "else", "elsen", "hed", "heden", "tion", "tionen", "sion", "skab", "skabet", "isme", "lig", "lige",
    "ige", "iske", "isk", "ens", "ets", "ernes", "enes", "ningen", "ingen", "ning", "erne", "ende",
    "ering", "eringen", "ium", "iet", "øb", "fonden", "fond", "hjælp", "støtte", "ydelse", "ydelser",
    "tilskud", "pleje", "plan", "planen", "standard", "standarder", "lov", "loven", "politik", "strategi",
    "indsats", "tilbud", "tilbuddet", "forløb", "udvalg", "udvalget", "alt", "elt", "igt",
)
STRONG_SURNAME_ENDINGS = (
    "sen", "søn", "sson", "ski", "ska", "cki", "cka", "wicz", "ović", "ovic", "vić", "enko", "zadeh", "oğlu", "oglu",
    "escu",
)
WEAK_SURNAME_ENDINGS = (
    "gaard", "gård", "strup", "rup", "bæk", "bek", "holm", "lund", "skov", "berg", "bjerg", "dahl", "mann",
    "quist", "qvist", "strøm", "ström", "inen", "ić", "yan", "auskas", "ienė", "aitė", "ová", "ova", "eva",
)
# Danish town and village endings; a lone unknown capitalised word with one is a
# place ("Tilst" is not, "Hasselager" is). Endings that surnames share
# ("-holm", "-lund", "-gaard", "-bjerg") are left out: those stay names.
PLACE_ENDINGS = (
    "rup", "lev", "løse", "sted", "by", "havn", "købing", "borg", "inge", "ager", "toft", "høj", "næs", "sund",
    "vig", "bro", "mark", "land", "bøl", "øre", "ø", "strand", "hede",
)
MAX_RUN = 5
LONG_COMPOUND = 13
