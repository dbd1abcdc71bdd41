"""What a request document holding only its kind lacks, kind by kind: the exact findings the
one-pass validation (CLI, API, service, drafting form) must report, each as (field path,
article, basis)."""

from __future__ import annotations

from hanoix.convention import RequestKind, Requirement, kind_spec

Finding = tuple[str, str | None, str | None]

#: The envelope's gaps of a document with only a kind, whatever the kind: the requested State
#: (no article: the Convention leaves it to the drafter), the language (Art. 40(14)) and the
#: proceeding whose limits on use Art. 40(19) sets; both rules recalled in FACTS.md.
ENVELOPE: frozenset[Finding] = frozenset(
    {
        ("requested_state", None, None),
        ("language", "Art. 40(14)", "recalled"),
        ("proceeding", "Art. 40(19)", "recalled"),
    }
)

#: Who requests, when neither the document, a user nor the node's configuration says.
NO_REQUESTING_STATE: Finding = ("requesting_state", None, None)

#: The conditional contents whose condition holds when a document says nothing: the summary
#: of facts of a general MLA request is excused only when the one purpose is the service of
#: documents (Art. 40(15)(c)); a confiscation order is needed only when its execution is
#: asked (Art. 50), which an empty document does not ask.
CONDITIONAL_WHEN_EMPTY = frozenset({(RequestKind.MLA, "summary_of_facts")})


def content_gaps(kind: RequestKind) -> frozenset[Finding]:
    """Every content the declaration of ``kind`` requires of a document that has none."""
    return frozenset(
        (f"contents.{content.name}", str(content.art), content.basis.value)
        for content in kind_spec(kind).contents
        if content.requirement is Requirement.MANDATORY
        or (kind, content.name) in CONDITIONAL_WHEN_EMPTY
    )


def only_kind_gaps(kind: RequestKind, *, requesting_state_known: bool = True) -> set[Finding]:
    """The exact findings on ``{"kind": kind}``."""
    found = set(ENVELOPE | content_gaps(kind))
    if not requesting_state_known:
        found.add(NO_REQUESTING_STATE)
    return found


#: The issue's own example, written out so that the derivation above is checked against a
#: hand-read list: a general MLA request with only its kind lacks these nine things.
MLA_ONLY_KIND: frozenset[Finding] = frozenset(
    {
        ("requested_state", None, None),
        ("language", "Art. 40(14)", "recalled"),
        ("proceeding", "Art. 40(19)", "recalled"),
        ("contents.requesting_authority", "Art. 40(15)(a)", "recalled"),
        ("contents.subject_and_nature", "Art. 40(15)(b)", "recalled"),
        ("contents.conducting_authority", "Art. 40(15)(b)", "recalled"),
        ("contents.summary_of_facts", "Art. 40(15)(c)", "recalled"),
        ("contents.assistance_sought", "Art. 40(15)(d)", "recalled"),
        ("contents.purpose", "Art. 40(15)(f)", "recalled"),
    }
)


def findings(problems: list[dict[str, str | None]]) -> set[Finding]:
    """The (field, article, basis) of each problem of an answer."""
    return {(p["field"] or "", p["article"], p["basis"]) for p in problems}
