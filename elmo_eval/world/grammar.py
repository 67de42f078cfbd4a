"""News grammar shared by the corpus, NER, SRL/coref (CoNLL-2012) and SQuAD.

A :class:`Document` holds the entities it talks about; :func:`news_sentence`
draws one clause template and fills its slots with mentions of those entities,
returning an annotated tree (see :mod:`.trees`).  The phenomena it encodes:

* one stem, three types: a bare stem (``Kessel``) is a person, a place or a
  company depending on its neighbours (``Kessel said``, ``in Kessel``,
  ``shares of Kessel rose``, ``the mayor of Kessel``);
* suffix forms (``Kesselson`` / ``Kesselville`` / ``Kessel Corp`` /
  ``Kesselian``) that a character model can type without having seen them;
* namesakes: a document may talk about a person Kessel *and* the company
  Kessel (two chains, one string), so a coreference model that matches
  strings merges them and only each mention's context keeps them apart;
  any other new entity draws a stem its document has not used (up to 20
  redraws of the Zipfian pool, whose top stem has a 14% share);
* active, passive (``was praised by``), negated and dative (``gave X the
  deal`` / ``gave the deal to X``) clauses, so word order alone does not say
  who is ARG0, ARG1 or ARG2; ``said`` embeds a whole clause as its ARG1;
* intransitive clauses with rare verbs (:func:`intransitive_clause`): the
  same ``X VERBed in Y`` frame makes X the agent (ARG0) or the undergoer
  (ARG1) depending on the verb's hidden class, which only shows in other
  sentences (undergoer verbs also take a causer: ``Z VERBed X``); half of
  these verbs never occur in a labeled train split;
* pronouns chosen only when gender and number make the referent unique among
  the entities of the previous sentence, or when the referent was its subject
  (the world's resolution rule: agreement first, then the previous subject);
  companies are later called ``it`` (by the same rule) or ``the company``
  (while no other company has been mentioned).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import lexicon as lx
from .lexicon import Lexicon
from .trees import Leaf, Node

BARE_STEM_PROBABILITY = 0.4  # how often an entity is named by its ambiguous bare stem
# How often a new named entity takes the stem of another-typed entity of its document (a person
# Kessel and the company Kessel): string match alone then merges two chains, and only each
# mention's context (``in Kessel``, ``shares of Kessel``, ``Kessel said``) keeps them apart.
SHARED_STEM_PROBABILITY = 0.3

PRONOUNS = {  # (gender or "n" neuter or "p" plural) -> (subject, object, possessive)
    "m": ("he", "him", "his"),
    "f": ("she", "her", "her"),
    "n": ("it", "it", "its"),
    "p": ("they", "them", "their"),
}
GROUP_NOUNS = ("officials", "investors", "workers", "players", "voters", "analysts")


@dataclass
class Entity:
    """Something a document talks about; ``cluster`` is its coreference id."""

    kind: str  # PER, LOC, ORG, GROUP
    cluster: int
    words: tuple[str, ...]  # full name as first mentioned
    short: tuple[str, ...]  # later name mentions
    gender: str  # m, f, n (neuter), p (plural)
    stem: str = ""
    mentions: int = 0


@dataclass
class Document:
    """Entities of one document and what the previous sentence mentioned."""

    lexicon: Lexicon
    rng: random.Random
    labeled_train: bool
    in_corpus: bool = False   # the unlabeled corpus: never uses lexicon.UNSEEN_RARE_WORDS
    entities: list[Entity] = field(default_factory=list)
    previous_subject: Entity | None = None
    previous_mentioned: list[Entity] = field(default_factory=list)
    current_mentioned: list[Entity] = field(default_factory=list)

    def new_entity(self, kind: str) -> Entity:
        rng, lex = self.rng, self.lexicon
        used = {e.stem for e in self.entities}
        same_kind = {e.stem for e in self.entities if e.kind == kind}
        namesakes = [e.stem for e in self.entities
                     if e.kind != kind and e.short == (e.stem,) and e.stem not in same_kind]
        shared = kind in ("PER", "LOC", "ORG") and bool(namesakes) and rng.random() < SHARED_STEM_PROBABILITY
        if shared:
            # a namesake of an entity already called by its bare stem (the company Kessel in the town
            # of Kessel) is called by the bare stem too, so only each mention's context tells them apart
            stem = rng.choice(namesakes)
        else:
            # otherwise a stem the document has not used: two same-typed Kessels would be undecidable
            stem = lex.stem_pool(self.labeled_train).sample(rng)
            for _ in range(20):
                if stem not in used:
                    break
                stem = lex.stem_pool(self.labeled_train).sample(rng)
        forms = lex.forms_by_stem[stem]
        bare = shared or rng.random() < BARE_STEM_PROBABILITY
        cluster = len(self.entities)
        if kind == "PER":
            gender = "f" if rng.random() < 0.5 else "m"
            first = (lex.female_first if gender == "f" else lex.male_first).sample(rng)
            surname = stem if bare else forms.person
            entity = Entity("PER", cluster, (first, surname), (surname,), gender, stem)
        elif kind == "LOC":
            place = stem if bare else forms.place
            entity = Entity("LOC", cluster, (place,), (place,), "n", stem)
        elif kind == "ORG":
            words = (stem,) if bare else forms.org
            entity = Entity("ORG", cluster, words, words, "n", stem)
        else:
            noun = rng.choice(GROUP_NOUNS)
            entity = Entity("GROUP", cluster, ("the", noun), ("the", noun), "p")
        self.entities.append(entity)
        return entity

    def pick(self, kinds: str, reuse: float = 0.6, exclude: tuple[Entity, ...] = ()) -> Entity:
        """An entity of one of ``kinds`` (space separated): often one already mentioned."""
        allowed = kinds.split()
        known = [e for e in self.entities if e.kind in allowed and e not in exclude]
        if known and self.rng.random() < reuse:
            return self.rng.choice(known)
        return self.new_entity(self.rng.choice(allowed))

    def end_sentence(self, subject: Entity | None) -> None:
        self.previous_subject = subject
        self.previous_mentioned = self.current_mentioned
        self.current_mentioned = []


def _leaf(pos: str, word: str, *ann) -> Leaf:
    return Leaf(pos, word, tuple(ann))


def _name_np(words: tuple[str, ...], kind: str, extra: tuple) -> Node:
    ner = ("ner", kind) if kind in ("PER", "LOC", "ORG") else None
    leaves = [_leaf("NNP", w) for w in words]
    return Node("NP", leaves, ((ner,) if ner else ()) + extra)


def mention(doc: Document, entity: Entity, case: str = "subject", pronoun_ok: bool = True) -> Node:
    """An NP referring to ``entity``: full name, short name, description or pronoun."""
    rng = doc.rng
    coref = (("coref", entity.cluster),)
    first = entity.mentions == 0
    entity.mentions += 1
    doc.current_mentioned.append(entity)
    if entity.kind == "GROUP":
        if not first and _pronoun_is_unique(doc, entity) and rng.random() < 0.6:
            return _pronoun(entity, case, coref)
        return Node("NP", [_leaf("DT", "the"), _leaf("NNS", entity.words[1])], coref)
    if first:
        if entity.kind == "PER" and rng.random() < 0.3:
            # a title before the name: the title is outside the entity span but inside the mention
            title = rng.choice(lx.TITLES)
            return Node("NP", [_leaf("NN", title), _name_np(entity.words, "PER", ())], coref)
        return _name_np(entity.words, entity.kind, coref)
    if pronoun_ok and entity.kind in ("PER", "ORG") and _pronoun_is_unique(doc, entity) and rng.random() < 0.6:
        return _pronoun(entity, case, coref)
    if entity.kind == "ORG" and _only_company_so_far(doc, entity) and rng.random() < 0.4:
        return Node("NP", [_leaf("DT", "the"), _leaf("NN", "company")], coref)
    return _name_np(entity.short, entity.kind, coref)


def _pronoun_is_unique(doc: Document, entity: Entity) -> bool:
    """The world's pronoun rule: agreement picks it out, or it was the previous subject."""
    if entity not in doc.previous_mentioned:
        return False
    rivals = [
        e for e in doc.previous_mentioned + doc.current_mentioned[:-1] if e is not entity and e.gender == entity.gender
    ]
    return not rivals or doc.previous_subject is entity and entity not in doc.current_mentioned[:-1]


def _only_company_so_far(doc: Document, entity: Entity) -> bool:
    """``the company`` names an organisation only while no other one has been mentioned (else undecidable)."""
    return not any(e.kind == "ORG" and e.mentions and e is not entity for e in doc.entities)


def _pronoun(entity: Entity, case: str, coref: tuple) -> Node:
    subject, obj, _ = PRONOUNS[entity.gender]
    return Node("NP", [_leaf("PRP", subject if case == "subject" else obj)], coref)


def _with_arg(node: Node, pred: int, label: str) -> Node:
    node.ann = node.ann + (("arg", pred, label),)
    return node


def _location_pp(doc: Document, pred: int) -> Node:
    place = doc.pick("LOC", reuse=0.4)
    return Node("PP", [_leaf("IN", "in"), mention(doc, place, "object")], (("arg", pred, "ARGM-LOC"),))


def _time_phrase(rng: random.Random, pred: int) -> Node:
    first, second = rng.choice(lx.TIME_PHRASES)
    if first in ("on", "in"):
        return Node("PP", [_leaf("IN", first), Node("NP", [_leaf("NNP", second)])], (("arg", pred, "ARGM-TMP"),))
    return Node(
        "NP", [_leaf("JJ" if first == "last" else "DT", first), _leaf("NN", second)], (("arg", pred, "ARGM-TMP"),)
    )


def _thing_np(rng: random.Random) -> Node:
    noun = rng.choice(lx.NEWS_NOUNS)
    article = "the" if rng.random() < 0.5 else lx.indefinite_article(noun)
    return Node("NP", [_leaf("DT", article), _leaf("NN", noun)])


def _modifiers(doc: Document, pred: int) -> list[Node]:
    extra = []
    if doc.rng.random() < 0.35:
        extra.append(_location_pp(doc, pred))
    if doc.rng.random() < 0.3:
        extra.append(_time_phrase(doc.rng, pred))
    return extra


def _object_np(doc: Document, kinds: str, subject: Entity | None) -> tuple[Node, Entity | None]:
    if kinds == "NOUN":
        return _thing_np(doc.rng), None
    entity = doc.pick(kinds, exclude=(subject,) if subject else ())
    return mention(doc, entity, "object"), entity


def transitive_clause(doc: Document, pred: int) -> tuple[Node, Entity]:
    """Active (optionally negated) or passive transitive clause; returns (S, subject entity)."""
    rng = doc.rng
    verb = rng.choice(sorted(lx.NEWS_TRANSITIVE))
    subject_kinds, object_kinds = lx.NEWS_TRANSITIVE[verb]
    forms = lx.verb_forms(verb)
    agent = doc.pick(subject_kinds)
    passive = object_kinds != "NOUN" and rng.random() < 0.3
    if passive:
        patient = doc.pick(object_kinds, exclude=(agent,))
        subject_np = _with_arg(mention(doc, patient), pred, "ARG1")
        by_phrase = Node("PP", [_leaf("IN", "by"), mention(doc, agent, "object")], (("arg", pred, "ARG0"),))
        inner = Node("VP", [_leaf("VBN", forms["pp"], ("V", pred, verb)), by_phrase, *_modifiers(doc, pred)])
        verb_phrase = Node("VP", [_leaf("VBD", "was"), inner])
        return Node("S", [subject_np, verb_phrase]), patient
    subject_np = _with_arg(mention(doc, agent), pred, "ARG0")
    object_np, _ = _object_np(doc, object_kinds, agent)
    _with_arg(object_np, pred, "ARG1")
    if rng.random() < 0.15:
        inner = Node("VP", [_leaf("VB", forms["base"], ("V", pred, verb)), object_np, *_modifiers(doc, pred)])
        verb_phrase = Node("VP", [_leaf("VBD", "did"), _leaf("RB", "not", ("arg", pred, "ARGM-NEG")), inner])
    else:
        verb_phrase = Node("VP", [_leaf("VBD", forms["past"], ("V", pred, verb)), object_np, *_modifiers(doc, pred)])
    return Node("S", [subject_np, verb_phrase]), agent


def dative_clause(doc: Document, pred: int) -> tuple[Node, Entity]:
    """``X gave Y the deal`` or ``X gave the deal to Y`` (ARG0, ARG2 recipient, ARG1 theme)."""
    rng = doc.rng
    verb = rng.choice(sorted(lx.NEWS_DATIVE))
    forms = lx.verb_forms(verb)
    giver = doc.pick("PER ORG")
    subject_np = _with_arg(mention(doc, giver), pred, "ARG0")
    receiver = doc.pick("PER ORG GROUP", exclude=(giver,))
    theme = _with_arg(_thing_np(rng), pred, "ARG1")
    verb_leaf = _leaf("VBD", forms["past"], ("V", pred, verb))
    if rng.random() < 0.5:
        recipient = _with_arg(mention(doc, receiver, "object"), pred, "ARG2")
        verb_phrase = Node("VP", [verb_leaf, recipient, theme])
    else:
        recipient = Node("PP", [_leaf("IN", "to"), mention(doc, receiver, "object")], (("arg", pred, "ARG2"),))
        verb_phrase = Node("VP", [verb_leaf, theme, recipient])
    return Node("S", [subject_np, verb_phrase]), giver


_RARE_VERBS = {
    (kind, split, in_corpus): [v for v in lx.split_heldout(list(verbs), split)
                               if not (in_corpus and v in lx.UNSEEN_RARE_WORDS)]
    for kind, verbs in (("agentive", lx.RARE_AGENTIVE_VERBS), ("undergoer", lx.RARE_UNDERGOER_VERBS))
    for split in (False, True)
    for in_corpus in (False, True)
}
CAUSATIVE_PROBABILITY = 0.3


def _participant_np(doc: Document, case: str = "subject", exclude: Entity | None = None) -> tuple[Node, Entity | None]:
    """A named entity (often) or a thing: both verb classes take either, so the subject's kind says nothing."""
    if doc.rng.random() < 0.6:
        entity = doc.pick("PER ORG", exclude=(exclude,) if exclude else ())
        return mention(doc, entity, case), entity
    return _thing_np(doc.rng), None


def intransitive_clause(doc: Document, pred: int) -> tuple[Node, Entity | None]:
    """``X VERBed [in Y] [last week]``: X is ARG0 for an agentive verb, ARG1 for an undergoer verb.

    Undergoer verbs sometimes appear with a causer instead (``Z VERBed X``: ARG0, ARG1).
    """
    rng = doc.rng
    kind = "agentive" if rng.random() < 0.5 else "undergoer"
    verb = rng.choice(_RARE_VERBS[kind, doc.labeled_train, doc.in_corpus])
    forms = lx.verb_forms(verb)
    if kind == "undergoer" and rng.random() < CAUSATIVE_PROBABILITY:
        causer = doc.pick("PER ORG")
        subject_np = _with_arg(mention(doc, causer), pred, "ARG0")
        object_np, _ = _participant_np(doc, "object", exclude=causer)
        verb_phrase = Node(
            "VP",
            [
                _leaf("VBD", forms["past"], ("V", pred, verb)),
                _with_arg(object_np, pred, "ARG1"),
                *_modifiers(doc, pred),
            ],
        )
        return Node("S", [subject_np, verb_phrase]), causer
    subject_np, subject = _participant_np(doc)
    _with_arg(subject_np, pred, "ARG0" if kind == "agentive" else "ARG1")
    verb_phrase = Node("VP", [_leaf("VBD", forms["past"], ("V", pred, verb)), *_modifiers(doc, pred)])
    return Node("S", [subject_np, verb_phrase]), subject


def shares_clause(doc: Document, pred: int) -> tuple[Node, Entity]:
    """``shares of X rose 5 percent``: the ORG context."""
    rng = doc.rng
    company = doc.pick("ORG")
    verb = rng.choice(("rise", "fall"))
    shares = Node(
        "NP",
        [
            Node("NP", [_leaf("NNS", "shares")]),
            Node("PP", [_leaf("IN", "of"), mention(doc, company, "object", pronoun_ok=False)]),
        ],
        (("arg", pred, "ARG1"),),
    )
    amount = Node("NP", [_leaf("CD", str(rng.randint(2, 30))), _leaf("NN", "percent")], (("arg", pred, "ARG2"),))
    verb_phrase = Node(
        "VP", [_leaf("VBD", lx.verb_forms(verb)["past"], ("V", pred, verb)), amount, *_modifiers(doc, pred)[:1]]
    )
    return Node("S", [shares, verb_phrase]), company


def stay_clause(doc: Document, pred: int) -> tuple[Node, Entity]:
    """``X stayed in Y`` / ``the mayor of Y resigned``: place contexts (subject is ARG1 here)."""
    rng = doc.rng
    if rng.random() < 0.5:
        person = doc.pick("PER")
        subject_np = _with_arg(mention(doc, person), pred, "ARG1")
        verb_phrase = Node("VP", [_leaf("VBD", "stayed", ("V", pred, "stay")), _location_pp(doc, pred)])
        return Node("S", [subject_np, verb_phrase]), person
    title = rng.choice(("mayor", "governor", "people"))
    place = doc.pick("LOC")
    subject_np = Node(
        "NP",
        [
            Node("NP", [_leaf("DT", "the"), _leaf("NNS" if title == "people" else "NN", title)]),
            Node("PP", [_leaf("IN", "of"), mention(doc, place, "object")]),
        ],
        (("arg", pred, "ARG0"),),
    )
    verb = rng.choice(("protest", "celebrate", "vote"))
    verb_phrase = Node("VP", [_leaf("VBD", lx.verb_forms(verb)["past"], ("V", pred, verb)), *_modifiers(doc, pred)[1:]])
    return Node("S", [subject_np, verb_phrase]), place


def misc_clause(doc: Document, pred: int) -> tuple[Node, Entity]:
    """Nationality adjectives (``Kesselian officials``) and events (``the Kessel Cup``): MISC."""
    rng = doc.rng
    lex = doc.lexicon
    forms = lex.forms_by_stem[lex.stem_pool(doc.labeled_train).sample(rng)]
    if rng.random() < 0.5:
        winner = doc.pick("PER ORG")
        subject_np = _with_arg(mention(doc, winner), pred, "ARG0")
        event = Node(
            "NP",
            [
                _leaf("DT", "the"),
                Node("NP", [_leaf("NNP", forms.event[0]), _leaf("NNP", forms.event[1])], (("ner", "MISC"),)),
            ],
            (("arg", pred, "ARG1"),),
        )
        verb = rng.choice(("win", "lose"))
        verb_phrase = Node("VP", [_leaf("VBD", lx.verb_forms(verb)["past"], ("V", pred, verb)), event])
        return Node("S", [subject_np, verb_phrase]), winner
    group = doc.pick("GROUP", reuse=0.3)
    nationality = Node(
        "NP",
        [_leaf("JJ", forms.nationality, ("ner", "MISC")), _leaf("NNS", group.words[1])],
        (("coref", group.cluster), ("arg", pred, "ARG0")),
    )
    group.mentions += 1
    doc.current_mentioned.append(group)
    target = doc.pick("PER ORG")
    verb = rng.choice(("praise", "criticize", "support"))
    verb_phrase = Node(
        "VP",
        [
            _leaf("VBD", lx.verb_forms(verb)["past"], ("V", pred, verb)),
            _with_arg(mention(doc, target, "object"), pred, "ARG1"),
        ],
    )
    return Node("S", [nationality, verb_phrase]), group


def appositive_subject(doc: Document, clause: Node, subject: Entity) -> None:
    """Attach ``, the mayor of Y ,`` / ``, based in Y ,`` to a first-mentioned named subject."""
    rng = doc.rng
    subject_np = clause.children[0]
    first_child = subject_np.children[0]
    is_pronoun = isinstance(first_child, Leaf) and first_child.pos == "PRP"
    if subject.kind not in ("PER", "ORG") or subject.mentions != 1 or is_pronoun:
        return
    place = doc.pick("LOC" if subject.kind == "ORG" or rng.random() < 0.5 else "ORG", reuse=0.3)
    if subject.kind == "ORG":
        description = Node(
            "VP", [_leaf("VBN", "based"), Node("PP", [_leaf("IN", "in"), mention(doc, place, "object")])]
        )
    else:
        title = "mayor" if place.kind == "LOC" else rng.choice(("director", "chairman"))
        description = Node(
            "NP",
            [
                Node("NP", [_leaf("DT", "the"), _leaf("NN", title)]),
                Node("PP", [_leaf("IN", "of"), mention(doc, place, "object")]),
            ],
        )
    # the appositive joins the subject NP, so ARG0/ARG1 and the mention cover it (as in OntoNotes)
    inner = Node(subject_np.label, subject_np.children, tuple(a for a in subject_np.ann if a[0] != "arg"))
    subject_np.children = [inner, _leaf(",", ","), description, _leaf(",", ",")]
    subject_np.ann = tuple(a for a in subject_np.ann if a[0] == "arg")


CLAUSES = (
    (transitive_clause, 5),
    (dative_clause, 2),
    (shares_clause, 1.5),
    (stay_clause, 1.5),
    (misc_clause, 1.5),
    (intransitive_clause, 5),
)
_CLAUSE_FUNCS = [c for c, _ in CLAUSES]
_CLAUSE_WEIGHTS = [w for _, w in CLAUSES]


def news_sentence(doc: Document) -> Node:
    """One sentence: a clause, maybe embedded under ``said``, with a final period."""
    rng = doc.rng
    clause_fn = rng.choices(_CLAUSE_FUNCS, _CLAUSE_WEIGHTS)[0]
    if rng.random() < 0.2:
        speaker = doc.pick("PER ORG")
        embedded, _ = clause_fn(doc, 1)
        embedded.ann = embedded.ann + (("arg", 0, "ARG1"),)
        said = _leaf("VBD", "said", ("V", 0, "say"))
        if rng.random() < 0.5:
            speaker_np = _with_arg(mention(doc, speaker), 0, "ARG0")
            tree = Node("S", [speaker_np, Node("VP", [said, Node("SBAR", [embedded])]), _leaf(".", ".")])
        else:
            speaker_np = _with_arg(mention(doc, speaker), 0, "ARG0")
            tree = Node("S", [embedded, _leaf(",", ","), speaker_np, Node("VP", [said]), _leaf(".", ".")])
        doc.end_sentence(speaker)
        capitalize_first_word(tree)
        return tree
    clause, subject = clause_fn(doc, 0)
    if subject is not None and rng.random() < 0.25:
        appositive_subject(doc, clause, subject)
    clause.children.append(_leaf(".", "."))
    doc.end_sentence(subject)
    capitalize_first_word(clause)
    return clause


def capitalize_first_word(tree: Node) -> None:
    """Sentence-initial capital, as in newswire: capitalisation alone must not mark names."""
    node = tree
    while isinstance(node, Node):
        node = node.children[0]
    node.word = node.word[:1].upper() + node.word[1:]


def news_document(lexicon: Lexicon, rng: random.Random, sentences: int, labeled_train: bool,
                  in_corpus: bool = False) -> list[Node]:
    """A document of ``sentences`` news sentences sharing entities (coreference chains).

    ``labeled_train``: no held-out rare words; ``in_corpus``: no unseen rare words.
    """
    doc = Document(lexicon, rng, labeled_train, in_corpus)
    return [news_sentence(doc) for _ in range(sentences)]


def words(tree) -> list[str]:
    """The words of a tree, fast (the corpus needs only these)."""
    out: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Leaf):
            out.append(node.word)
        else:
            stack.extend(reversed(node.children))
    return out
