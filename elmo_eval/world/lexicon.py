"""The world's vocabulary: hand-written function/content words plus generated names.

Names are built from generated stems with productive suffixes, so their type is
partly visible in the characters (``Kesselson`` a person, ``Kesselville`` a
place, ``Kessel Corp`` a company, ``Kesselian`` a nationality) while the *bare*
stem (``Kessel``) is used for all three and only its context tells which.
Every pool is sampled with Zipfian weights over a seeded rank order, so a few
names are frequent and most are rare.  Stems are split into a *seen* part
(allowed in labeled training sets) and a *held-out* part (only in the corpus
and in labeled dev/test sets), which guarantees unseen test entities that the
biLM nevertheless saw in unlabeled text.
"""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from itertools import accumulate

from .config import stream

N_STEMS = 700
N_FIRST_NAMES_PER_GENDER = 120
HELDOUT_STEM_EVERY = 4        # every 4th stem (by rank) never appears in a labeled train split
ZIPF_EXPONENT = 1.0

PERSON_SUFFIXES = ("son", "sen", "mann", "ski", "ez", "ley")
PLACE_SUFFIXES = ("ville", "berg", "ton", "burg", "field", "mouth", "haven", "stad")
ORG_WORDS = ("Corp", "Inc", "Group", "Systems", "Holdings", "Bank", "Airlines", "Media")
NATIONALITY_SUFFIXES = ("ian", "ese", "ish")
EVENT_WORDS = ("Cup", "Open", "Games", "Festival")
FEMALE_ENDINGS = ("a", "ina", "ette", "elle")
MALE_ENDINGS = ("o", "us", "an", "ert")

_ONSETS = ("b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
           "br", "dr", "gr", "kr", "st", "tr", "sh", "ch", "th", "bl", "fl", "gl")
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ei", "ou")
_MIDDLES = ("l", "ll", "r", "rr", "n", "nn", "m", "s", "ss", "t", "tt", "d", "v", "rl", "nd", "rt", "lk")
_CODAS = ("", "", "l", "n", "r", "s", "t", "m", "k", "rd", "nt", "x", "w")


def _regular_forms(lemma: str) -> tuple[str, str, str, str]:
    """3sg, past, past participle and -ing forms of a regular verb."""
    if lemma.endswith("e"):
        return lemma + "s", lemma + "d", lemma + "d", lemma[:-1] + "ing"
    if lemma.endswith(("sh", "ch", "ss", "x")):
        return lemma + "es", lemma + "ed", lemma + "ed", lemma + "ing"
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return lemma[:-1] + "ies", lemma[:-1] + "ied", lemma[:-1] + "ied", lemma + "ing"
    return lemma + "s", lemma + "ed", lemma + "ed", lemma + "ing"


_IRREGULAR = {
    "buy": ("buys", "bought", "bought", "buying"), "sell": ("sells", "sold", "sold", "selling"),
    "meet": ("meets", "met", "met", "meeting"), "leave": ("leaves", "left", "left", "leaving"),
    "beat": ("beats", "beat", "beaten", "beating"), "win": ("wins", "won", "won", "winning"),
    "lose": ("loses", "lost", "lost", "losing"), "say": ("says", "said", "said", "saying"),
    "tell": ("tells", "told", "told", "telling"), "give": ("gives", "gave", "given", "giving"),
    "send": ("sends", "sent", "sent", "sending"), "build": ("builds", "built", "built", "building"),
    "rise": ("rises", "rose", "risen", "rising"), "fall": ("falls", "fell", "fallen", "falling"),
    "run": ("runs", "ran", "run", "running"), "swim": ("swims", "swam", "swum", "swimming"),
    "sit": ("sits", "sat", "sat", "sitting"), "eat": ("eats", "ate", "eaten", "eating"),
    "sing": ("sings", "sang", "sung", "singing"), "hold": ("holds", "held", "held", "holding"),
    "ride": ("rides", "rode", "ridden", "riding"), "drive": ("drives", "drove", "driven", "driving"),
    "sleep": ("sleeps", "slept", "slept", "sleeping"), "hire": ("hires", "hired", "hired", "hiring"),
    "fund": ("funds", "funded", "funded", "funding"), "visit": ("visits", "visited", "visited", "visiting"),
    "sue": ("sues", "sued", "sued", "suing"), "offer": ("offers", "offered", "offered", "offering"),
    "criticize": ("criticizes", "criticized", "criticized", "criticizing"),
    "chase": ("chases", "chased", "chased", "chasing"), "feed": ("feeds", "fed", "fed", "feeding"),
    "carry": ("carries", "carried", "carried", "carrying"), "find": ("finds", "found", "found", "finding"),
    "sign": ("signs", "signed", "signed", "signing"), "join": ("joins", "joined", "joined", "joining"),
    "open": ("opens", "opened", "opened", "opening"), "jump": ("jumps", "jumped", "jumped", "jumping"),
    "swing": ("swings", "swung", "swung", "swinging"), "throw": ("throws", "threw", "thrown", "throwing"),
    "catch": ("catches", "caught", "caught", "catching"),
}


def indefinite_article(word: str) -> str:
    """``an`` before a vowel letter, else ``a`` (the world's words have no silent or vowel-sounding exceptions)."""
    return "an" if word[0] in "aeiou" else "a"


def verb_forms(lemma: str) -> dict[str, str]:
    """All forms of a verb: keys base, 3sg, past, pp, ing."""
    third, past, participle, ing = _IRREGULAR.get(lemma) or _regular_forms(lemma)
    return {"base": lemma, "3sg": third, "past": past, "pp": participle, "ing": ing}


# Transitive news verbs: agent (ARG0) acts on patient (ARG1).  Each has the
# entity types that fit its subject and object, so the same name gets its
# type from the verb's frame.
NEWS_TRANSITIVE = {
    "praise": ("PER ORG", "PER ORG"), "criticize": ("PER ORG", "PER ORG"), "visit": ("PER", "LOC ORG"),
    "join": ("PER", "ORG"), "leave": ("PER", "ORG LOC"), "buy": ("ORG PER", "ORG"),
    "acquire": ("ORG", "ORG"), "meet": ("PER", "PER"), "thank": ("PER ORG", "PER ORG"),
    "support": ("PER ORG", "PER ORG"), "defeat": ("PER ORG", "PER ORG"), "hire": ("ORG", "PER"),
    "sue": ("PER ORG", "ORG PER"), "fund": ("ORG", "ORG"), "sign": ("PER", "NOUN"),
    "announce": ("ORG PER", "NOUN"), "launch": ("ORG", "NOUN"), "open": ("ORG", "NOUN"),
}
NEWS_DATIVE = {"give": "NOUN", "send": "NOUN", "offer": "NOUN", "sell": "NOUN"}
NEWS_NOUNS = ("deal", "plan", "report", "contract", "proposal", "statement", "product", "project",
              "offer", "loan", "award", "letter", "budget", "network", "factory", "office")
TITLES = ("minister", "president", "director", "spokesman", "mayor", "coach", "chairman", "officer")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_PHRASES = (("last", "week"), ("last", "year"), ("this", "month"), ("on", "Monday"),
                ("on", "Friday"), ("in", "March"), ("in", "June"))

# Sentiment lexicon for reviews: value in {-2,-1,1,2}; 0 words are neutral.
SENTIMENT_ADJECTIVES = {
    "brilliant": 2, "wonderful": 2, "superb": 2, "great": 2, "moving": 1, "good": 1, "charming": 1,
    "clever": 1, "fun": 1, "solid": 1, "fine": 1, "awful": -2, "terrible": -2, "dreadful": -2,
    "bad": -1, "dull": -1, "boring": -1, "weak": -1, "clumsy": -1, "tedious": -1, "bland": -1,
    "long": 0, "new": 0, "short": 0, "familiar": 0,
}
INTENSIFIERS = ("very", "really", "truly", "extremely")
DOWNTONERS = ("somewhat", "rather", "slightly", "fairly")
REVIEW_NOUNS = ("movie", "film", "plot", "acting", "script", "cast", "story", "ending", "soundtrack",
                "dialogue", "performance", "pacing", "director", "camera", "humor", "score")

# Scenes (SNLI): hypernym tree child -> parent.  Siblings under one parent are
# mutually exclusive (a poodle is not a beagle), which yields contradictions.
HYPERNYMS = {
    "poodle": "dog", "terrier": "dog", "beagle": "dog", "collie": "dog", "spaniel": "dog",
    "tabby": "cat", "kitten": "cat", "sparrow": "bird", "parrot": "bird", "pigeon": "bird",
    "pony": "horse", "mare": "horse", "dog": "animal", "cat": "animal", "bird": "animal", "horse": "animal",
    "boy": "child", "girl": "child", "toddler": "child", "child": "person", "man": "person", "woman": "person",
    "guitarist": "musician", "drummer": "musician", "pianist": "musician", "violinist": "musician",
    "musician": "person", "runner": "athlete", "swimmer": "athlete", "cyclist": "athlete",
    "skier": "athlete", "athlete": "person",
    "ball": "toy", "kite": "toy", "frisbee": "toy", "apple": "fruit", "banana": "fruit", "orange": "fruit",
    "sedan": "car", "taxi": "car", "car": "vehicle", "truck": "vehicle", "bus": "vehicle",
}
SCENE_ANIMATE_ROOTS = ("animal", "person")
SCENE_ACTIONS_INTRANSITIVE = ("run", "sleep", "jump", "swim", "sit", "sing", "walk", "play")
SCENE_ACTIONS_TRANSITIVE = {   # verb -> hypernym class of the object it takes
    "chase": "animate", "watch": "animate", "follow": "animate", "feed": "animate", "push": "any",
    "carry": "object", "hold": "object", "throw": "object", "catch": "object", "eat": "fruit",
}
SCENE_PLACES = ("park", "beach", "street", "field", "kitchen", "river", "stage", "garden", "yard")
SCENE_ADJECTIVES = ("small", "large", "young", "old", "brown", "white", "black", "happy", "tired", "wet")

# Headline topics (AG News): words tied to a class and words shared by all.
TOPIC_WORDS = {
    1: ("talks", "troops", "election", "embassy", "ceasefire", "border", "summit", "protest", "treaty"),
    2: ("match", "season", "final", "coach", "striker", "league", "title", "goal", "tournament"),
    3: ("shares", "profit", "earnings", "merger", "investors", "stocks", "revenue", "prices", "bank"),
    4: ("software", "chip", "internet", "phone", "satellite", "researchers", "browser", "virus", "laptop"),
}
SHARED_TOPIC_WORDS = ("record", "deal", "win", "launch", "plan", "report", "network", "star", "crash", "bid")


# Rare content words: pronounceable pseudo-words with a fixed hidden property (polarity, hypernym,
# topic class, verb class) that only their contexts in the unlabeled corpus reveal.  They do not
# depend on the world seed (like the hand-written lists above).  Every second one (by list
# position) is *held out*: it never occurs in a labeled train split, only in the corpus and in
# labeled dev/test splits, so a model must bring what the corpus taught it about the word.
RARE_HELDOUT_EVERY = 2
_RARE_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sk", "pl", "gr", "br",
                "dr", "fr", "tr", "sn", "sp", "cl")
_RARE_VOWELS = ("a", "e", "i", "o", "u", "oo", "ee", "ai", "ou")
_RARE_CODAS = ("b", "d", "g", "k", "l", "m", "n", "p", "rt", "sk", "nd", "lt", "mp", "rn", "x", "z")


def _pseudo_word(rng: random.Random) -> str:
    word = rng.choice(_RARE_ONSETS) + rng.choice(_RARE_VOWELS) + rng.choice(_RARE_CODAS)
    if rng.random() < 0.6:
        word += rng.choice(_RARE_VOWELS[:5]) + rng.choice(_RARE_CODAS)
    return word


def _rare_pools(sizes: dict[str, int]) -> dict[str, list[str]]:
    """Distinct lowercase pseudo-words for every pool, drawn in a fixed order (so always the same)."""
    rng = random.Random("elmo-eval-world:rare-words")
    every_word = " ".join(map(str, (_IRREGULAR, NEWS_TRANSITIVE, NEWS_DATIVE, NEWS_NOUNS, TITLES, SENTIMENT_ADJECTIVES,
                                    INTENSIFIERS, DOWNTONERS, REVIEW_NOUNS, HYPERNYMS, SCENE_ACTIONS_INTRANSITIVE,
                                    SCENE_ACTIONS_TRANSITIVE, SCENE_PLACES, SCENE_ADJECTIVES, TOPIC_WORDS,
                                    SHARED_TOPIC_WORDS)))
    taken = set(every_word.replace("'", " ").replace('"', " ").split())
    pools = {}
    for name, count in sizes.items():
        pools[name] = _unique_words(rng, count, _pseudo_word, taken)
        taken.update(pools[name])
    return pools


def split_heldout(words: list[str], labeled_train: bool) -> list[str]:
    """The words a split may use: a labeled train split gets none of :data:`HELDOUT_RARE_WORDS`."""
    return [w for w in words if not labeled_train or w not in HELDOUT_RARE_WORDS]


class ZipfPool:
    """A fixed list sampled with weight ``1 / rank ** exponent`` (rank = list position + 1)."""

    def __init__(self, items: list[str], exponent: float = ZIPF_EXPONENT) -> None:
        if not items:
            raise ValueError("a ZipfPool needs at least one item")
        self.items = list(items)
        self._cumulative = list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(len(items))))

    def sample(self, rng: random.Random) -> str:
        # bisect on cumulative weights: O(log n) per draw, no per-call allocation
        point = rng.random() * self._cumulative[-1]
        return self.items[min(bisect.bisect_right(self._cumulative, point), len(self.items) - 1)]


def _make_stem(rng: random.Random) -> str:
    word = rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_MIDDLES) + rng.choice(_VOWELS[:5])
    word += rng.choice(_CODAS)
    return word.capitalize()


def _unique_words(rng: random.Random, count: int, make, forbidden: set[str]) -> list[str]:
    words: list[str] = []
    seen = set(forbidden)
    while len(words) < count:
        word = make(rng)
        if word not in seen and len(word) >= 4:
            seen.add(word)
            words.append(word)
    return words


@dataclass
class NameForms:
    """The surface forms one stem takes as each entity type."""

    stem: str
    person: str        # surname with a person suffix, e.g. Kesselson
    place: str         # Kesselville
    org: tuple[str, str]  # ("Kessel", "Corp")
    nationality: str   # Kesselian
    event: tuple[str, str]  # ("Kessel", "Cup")


@dataclass
class Lexicon:
    """Every word pool of one world.  Build with :func:`build_lexicon`."""

    seed: int
    names: list[NameForms]
    seen_stems: ZipfPool
    all_stems: ZipfPool
    female_first: ZipfPool
    male_first: ZipfPool
    forms_by_stem: dict[str, NameForms] = field(default_factory=dict)

    def stem_pool(self, labeled_train: bool) -> ZipfPool:
        """Stems allowed in a split: labeled train splits never see held-out stems."""
        return self.seen_stems if labeled_train else self.all_stems


def build_lexicon(seed: int) -> Lexicon:
    """The lexicon of a world; depends on the seed only (not on the size)."""
    rng = stream(seed, "lexicon")
    forbidden = {w.capitalize() for w in (*NEWS_NOUNS, *TITLES, *REVIEW_NOUNS, *HYPERNYMS, *SCENE_PLACES)}
    stems = _unique_words(rng, N_STEMS, _make_stem, forbidden)
    names = []
    for _index, stem in enumerate(stems):
        names.append(NameForms(
            stem=stem,
            person=stem + PERSON_SUFFIXES[rng.randrange(len(PERSON_SUFFIXES))],
            place=stem + PLACE_SUFFIXES[rng.randrange(len(PLACE_SUFFIXES))],
            org=(stem, ORG_WORDS[rng.randrange(len(ORG_WORDS))]),
            nationality=stem.rstrip("aeiou") + NATIONALITY_SUFFIXES[rng.randrange(len(NATIONALITY_SUFFIXES))],
            event=(stem, EVENT_WORDS[rng.randrange(len(EVENT_WORDS))]),
        ))
    first_stems = _unique_words(rng, 2 * N_FIRST_NAMES_PER_GENDER,
                                lambda r: (r.choice(_ONSETS) + r.choice(_VOWELS[:5]) + r.choice(_MIDDLES)),
                                set(stems))
    female = _unique_words(rng, N_FIRST_NAMES_PER_GENDER,
                           lambda r: r.choice(first_stems).capitalize() + r.choice(FEMALE_ENDINGS), set(stems))
    male = _unique_words(rng, N_FIRST_NAMES_PER_GENDER,
                         lambda r: r.choice(first_stems).capitalize() + r.choice(MALE_ENDINGS),
                         set(stems) | set(female))
    seen = [s for rank, s in enumerate(stems) if rank % HELDOUT_STEM_EVERY != HELDOUT_STEM_EVERY - 1]
    lexicon = Lexicon(seed=seed, names=names, seen_stems=ZipfPool(seen), all_stems=ZipfPool(stems),
                      female_first=ZipfPool(female), male_first=ZipfPool(male))
    lexicon.forms_by_stem = {forms.stem: forms for forms in names}
    return lexicon


RARE = _rare_pools({
    "adj+2": 8, "adj+1": 8, "adj-1": 8, "adj-2": 8,
    "dog": 6, "bird": 6, "fruit": 6, "horse": 4, "cat": 4,
    "topic1": 30, "topic2": 30, "topic3": 30, "topic4": 30,
    "verb_agentive": 16, "verb_undergoer": 16,
})
# Class-marking endings of the rare pools whose property a head must know for held-out words: like
# English "-ous"/"-ful" or "-itis", two pseudo-endings per class, so a character model can learn
# "ends in -umba: a sports word" from the corpus contexts (section lines, verdicts, definitions) and
# carry it to words a labeled train split never shows, while a word-type vector (PPMI over a small
# window, which never sees the distant cue) cannot.  Names keep their own forms; verb endings sit
# before the inflection ("-olted").
CLASS_ENDINGS = {
    "adj+2": ("ovy", "arim"), "adj+1": ("elo", "unt"), "adj-1": ("ask", "oph"), "adj-2": ("urg", "ezz"),
    "dog": ("ock", "ip"), "bird": ("eel", "aw"), "fruit": ("ana", "ume"), "horse": ("ith", "ond"),
    "cat": ("owl", "uff"), "verb_agentive": ("olt", "ump"), "verb_undergoer": ("isk", "erm"),
    "topic1": ("ovar", "esh"), "topic2": ("umba", "ix"), "topic3": ("enko", "ard"), "topic4": ("otron", "yl"),
}
for _pool, _endings in CLASS_ENDINGS.items():
    # i // RARE_HELDOUT_EVERY: both endings occur among the seen and among the held-out words
    RARE[_pool] = [word + _endings[(i // RARE_HELDOUT_EVERY) % len(_endings)] for i, word in enumerate(RARE[_pool])]
assert len({w for pool in RARE.values() for w in pool}) == sum(map(len, RARE.values())), "rare words collide"

# sentiment: rare adjectives with a hidden value; the corpus shows it through the reviewer's verdict
RARE_SENTIMENT_ADJECTIVES = {w: value for value in (2, 1, -1, -2) for w in RARE[f"adj{value:+d}"]}
# scenes: rare kinds of dog, bird, ...; the corpus shows their parent in definitions ("a X is a kind of dog")
RARE_HYPONYMS = {w: parent for parent in ("dog", "bird", "fruit", "horse", "cat") for w in RARE[parent]}
# headlines: rare topic nouns of each class; the corpus shows the class through its section header
RARE_TOPIC_WORDS = {cls: tuple(RARE[f"topic{cls}"]) for cls in (1, 2, 3, 4)}
# news: rare intransitive verbs whose subject is the agent (ARG0) or the undergoer (ARG1); only the
# corpus shows which (undergoer verbs also occur with a causer: "X VERBed the plan")
RARE_AGENTIVE_VERBS = tuple(RARE["verb_agentive"])
RARE_UNDERGOER_VERBS = tuple(RARE["verb_undergoer"])
HELDOUT_RARE_WORDS = frozenset(w for pool in RARE.values() for i, w in enumerate(pool) if i % RARE_HELDOUT_EVERY)
# Unseen words: the held-out rare verbs never occur in the corpus either (only in dev/test), so no
# word vector exists for them (like the rare words GloVe lacks); only their ending tells their
# class, which a character model learns from the verbs of that class the corpus does show.
UNSEEN_POOLS = ("verb_agentive", "verb_undergoer")
UNSEEN_RARE_WORDS = frozenset(w for name in UNSEEN_POOLS for w in RARE[name] if w in HELDOUT_RARE_WORDS)
