"""Entry into force, each participant's standing, and whether the Convention binds two of them.

Everything here is a pure function of a set of treaty actions and a date.

Art. 65(1) (verified): the Convention enters into force on the ninetieth day after the deposit
of the fortieth instrument of ratification, acceptance, approval or accession, and an instrument
deposited by a regional economic integration organisation "shall not be counted as additional to
those deposited by member States of such organization". Read as the depositary reads the same
clause of UNTOC (Art. 38(1)): **an REIO's instrument is never counted toward the forty**; its
members' instruments are. The REIO still becomes a party by its instrument.

Art. 65(2) (recalled, UNTOC Art. 38(2) model): for a participant depositing after the fortieth,
the Convention enters into force on the thirtieth day after its own deposit, or on the general
date if that is later. Since the first forty deposit no later than the fortieth, ``max(deposit +
30 days, general date)`` gives every participant's date with one formula.

Art. 67 (recalled): a denunciation takes effect one year after the Secretary-General receives it;
the Convention binds the denouncing participant until the day before. An REIO ceases to be a party
when all its member States have denounced.

"Parties" counts the participants that have deposited an instrument not undone by a denunciation,
as the depositary's table does, whether or not the Convention is yet in force for them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from hanoix.convention import final_provisions as fp
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Rule
from hanoix.errors import ConflictError, InputError, Problem
from hanoix.treaty.actions import ActionKind, Declaration, TreatyAction
from hanoix.treaty.participants import Participant, lookup, reio_members

# Within one day: sign, then deposit, then the rest (so a same-day signature precedes a deposit).
_DAY_ORDER = {
    ActionKind.SIGNATURE: 0,
    ActionKind.RATIFICATION: 1,
    ActionKind.ACCEPTANCE: 1,
    ActionKind.APPROVAL: 1,
    ActionKind.ACCESSION: 1,
    ActionKind.SUCCESSION: 1,
    ActionKind.WITHDRAWAL_OF_RESERVATION: 2,
    ActionKind.DENUNCIATION: 3,
    ActionKind.DOMESTIC_RATIFICATION: 4,
    ActionKind.DOMESTIC_APPROVAL: 4,
}


def _chronological(actions: Iterable[TreatyAction]) -> list[TreatyAction]:
    return sorted(actions, key=lambda a: (a.date, _DAY_ORDER[a.kind], a.participant))


# The REIO clauses that final_provisions does not carry, as FACTS.md §9.1 recalls them from the
# UNTOC model (Arts 36(2)-(3) and 40(2)). Paragraph numbers are recalled too.
REIO_AFTER_A_MEMBER: Rule[bool] = Rule(
    "reio-after-a-member",
    True,
    "a regional economic integration organization may sign once at least one of its member "
    "States has signed, and deposit its instrument once at least one has deposited",
    Art(64, 2),
    Basis.RECALLED,
    note="UNTOC 36(2)-(3) model [UNTOC-V].",
)
REIO_CEASES_WITH_MEMBERS: Rule[bool] = Rule(
    "reio-ceases-with-members",
    True,
    "a regional economic integration organization ceases to be a party when all its member "
    "States have denounced",
    Art(67, 2),
    Basis.RECALLED,
    note="UNTOC 40(2) model [UNTOC-V].",
)


_RECALLED = f"rule {Basis.RECALLED.label}: recalled, not verified against the text"


def _counted(participant: str) -> bool:
    """Whether an instrument of ``participant`` counts toward the forty (Art. 65(1))."""
    return fp.REIO_INSTRUMENT_COUNTED.value or not lookup(participant).is_reio


# --- validation ------------------------------------------------------------------------------


def _where(action: TreatyAction) -> str:
    return f"{action.origin}: " if action.origin else ""


def validate(actions: Iterable[TreatyAction], declarations: Iterable[Declaration] = ()) -> None:
    """Check that a set of treaty actions can be true, all at once, before anything is stored.

    Raises :class:`ConflictError` when an act is recorded twice (a second signature, a second
    instrument while already a party, the same declaration twice), otherwise
    :class:`InputError`, with one problem per finding, each naming its article and, for actions
    read from a file, its line or row.
    """
    problems: list[Problem] = []
    duplicates = False
    by_participant: dict[str, list[TreatyAction]] = defaultdict(list)
    seen: dict[tuple[str, str, date], TreatyAction] = {}
    for action in _chronological(actions):
        earlier = seen.get(action.key)
        if earlier is not None:
            duplicates = True
            also = f" (also {earlier.origin})" if earlier.origin else ""
            problems.append(
                Problem(
                    f"{_where(action)}duplicate {action.kind.words} by {action.participant} on "
                    f"{action.date.isoformat()}{also}",
                    field=action.participant,
                )
            )
            continue
        seen[action.key] = action
        by_participant[action.participant].append(action)

    for code, own in by_participant.items():
        duplicates |= _check_participant(code, own, by_participant, problems)

    seen_declarations: set[tuple[str, str, date, str, str]] = set()
    for declaration in declarations:
        if declaration.key in seen_declarations:
            duplicates = True
            problems.append(
                Problem(
                    f"duplicate declaration {declaration.kind.value} by "
                    f"{declaration.participant} on {declaration.date.isoformat()}",
                    field=declaration.participant,
                )
            )
        seen_declarations.add(declaration.key)

    if problems:
        error = ConflictError if duplicates else InputError
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        raise error(
            f"the treaty data is not consistent ({count}): {problems[0].message}", problems=problems
        )


def _check_participant(
    code: str,
    own: list[TreatyAction],
    everyone: dict[str, list[TreatyAction]],
    problems: list[Problem],
) -> bool:
    """Check one participant's actions in order; returns whether a duplicate was found."""
    duplicate = False
    signed: TreatyAction | None = None
    party: TreatyAction | None = None  # the instrument in effect, if any
    ends: date | None = None  # when a notified denunciation takes effect
    # An REIO's members, when the rule that it follows one of them applies.
    members = reio_members(code) if REIO_AFTER_A_MEMBER.value else frozenset()

    def add(message: str, art: Art | None = None) -> None:
        problems.append(Problem(message, field=code, article=str(art) if art else None))

    for action in own:
        where = _where(action)
        day = action.date.isoformat()
        if party is not None and ends is not None and ends <= action.date:
            party, ends = None, None  # the denunciation has taken effect
        if action.kind is ActionKind.SIGNATURE:
            if signed is not None:
                duplicate = True
                add(f"{where}duplicate signature by {code}: already signed on {signed.date}")
                continue
            if not fp.signature_open(action.date):
                opens, closes = fp.SIGNATURE_HANOI_FROM, fp.SIGNATURE_NEW_YORK_UNTIL
                add(
                    f"{where}signature by {code} on {day} is outside the signature period "
                    f"({opens.value.isoformat()} to {closes.value.isoformat()}); a State that "
                    "has not signed joins by accession",
                    closes.art,
                )
            if members and not _any_before(everyone, members, action.date, signatures=True):
                add(
                    f"{where}{code} signed on {day} before any of its member States; an "
                    f"REIO may sign once one of them has ({_RECALLED})",
                    REIO_AFTER_A_MEMBER.art,
                )
            signed = action
        elif action.kind.is_instrument:
            if party is not None:
                duplicate = True
                add(
                    f"{where}duplicate {action.kind.words} by {code} on {day}: it already "
                    f"deposited its instrument of {party.kind.words} on {party.date.isoformat()}"
                )
                continue
            if action.kind.needs_signature and signed is None:
                add(
                    f"{where}{action.kind.words} by {code} on {day} without a prior signature: "
                    "add its signature if it signed; one that has not signed joins by accession",
                    fp.ACCESSION_OPEN.art,
                )
            if members and not _any_before(everyone, members, action.date, signatures=False):
                add(
                    f"{where}{code} deposited its instrument on {day} before any of its member "
                    f"States; an REIO may deposit once one of them has ({_RECALLED})",
                    REIO_AFTER_A_MEMBER.art,
                )
            party = action
        elif action.kind is ActionKind.DENUNCIATION:
            if party is None:
                add(
                    f"{where}denunciation by {code} on {day}, which is not a party then",
                    fp.DENUNCIATION_DELAY.art,
                )
            elif ends is not None:
                duplicate = True
                add(f"{where}duplicate denunciation by {code} on {day}")
            else:
                ends = fp.denunciation_effective(action.date)
        elif (
            action.kind is ActionKind.WITHDRAWAL_OF_RESERVATION and signed is None and party is None
        ):
            # A reservation is made at signature or deposit, so its withdrawal follows one.
            add(
                f"{where}withdrawal of a reservation by {code} on {day}, which had neither "
                "signed nor deposited an instrument then"
            )
    return duplicate


def _any_before(
    everyone: dict[str, list[TreatyAction]], members: frozenset[str], day: date, *, signatures: bool
) -> bool:
    for member in members:
        for action in everyone.get(member, ()):
            wanted = (
                action.kind is ActionKind.SIGNATURE if signatures else action.kind.is_instrument
            )
            if wanted and action.date <= day:
                return True
    return False


# --- standing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Membership:
    """A period during which a participant is bound: from its instrument to its denunciation."""

    instrument: TreatyAction
    denunciation: TreatyAction | None = None

    @property
    def ends(self) -> date | None:
        """The day the denunciation takes effect (no longer bound from that day)."""
        return fp.denunciation_effective(self.denunciation.date) if self.denunciation else None


@dataclass(frozen=True)
class EntryIntoForce:
    """The deposit of the fortieth counted instrument and the date it brings."""

    fortieth_deposit: date
    date: date

    def as_dict(self) -> dict[str, str]:
        return {
            "fortieth_deposit": self.fortieth_deposit.isoformat(),
            "date": self.date.isoformat(),
        }


class Standing(StrEnum):
    """Where a participant stands on a date."""

    NOT_SIGNED = "not-signed"
    SIGNED = "signed"
    CONTRACTING = "contracting"  # deposited, the Convention not yet in force for it
    PARTY = "party"  # the Convention is in force for it
    DENOUNCED = "denounced"


class Reason(StrEnum):
    """Why the Convention does or does not bind a participant on a date."""

    IN_FORCE = "in-force"
    NOT_SIGNED = "not-signed"
    SIGNED_NOT_RATIFIED = "signed-not-ratified"
    NOT_YET_IN_FORCE_FOR_IT = "not-yet-in-force-for-it"
    CONVENTION_NOT_IN_FORCE = "convention-not-in-force"
    DENOUNCED = "denounced"


@dataclass(frozen=True)
class Finding:
    """One reason, in words, with its article."""

    reason: Reason
    message: str
    participant: str | None = None
    article: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "reason": self.reason.value,
            "participant": self.participant,
            "article": self.article,
            "message": self.message,
        }


@dataclass(frozen=True)
class StatusSummary:
    """The Convention's status on a date."""

    on: date
    signatories: int
    parties: int
    instruments_counted: int
    instruments_needed: int
    entry_into_force: date | None
    in_force: bool
    fortieth_deposit: date | None = None

    @property
    def instruments_remaining(self) -> int:
        return max(0, self.instruments_needed - self.instruments_counted)

    def as_dict(self) -> dict[str, object]:
        return {
            "on": self.on.isoformat(),
            "signatories": self.signatories,
            "parties": self.parties,
            "instruments_counted": self.instruments_counted,
            "instruments_needed": self.instruments_needed,
            "instruments_remaining": self.instruments_remaining,
            "entry_into_force": self.entry_into_force.isoformat()
            if self.entry_into_force
            else None,
            "in_force": self.in_force,
        }


@dataclass(frozen=True)
class ParticipantStatus:
    """One participant's record and standing on a date."""

    participant: Participant
    on: date
    standing: Standing
    finding: Finding
    signature: date | None
    instrument: TreatyAction | None
    in_force_from: date | None
    bound_until: date | None  # last day bound, when a denunciation is notified
    actions: tuple[TreatyAction, ...]
    declarations: tuple[Declaration, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            **self.participant.as_dict(),
            "on": self.on.isoformat(),
            "standing": self.standing.value,
            "message": self.finding.message,
            "signature": self.signature.isoformat() if self.signature else None,
            "instrument": self.instrument.as_dict() if self.instrument else None,
            "in_force_from": self.in_force_from.isoformat() if self.in_force_from else None,
            "bound_until": self.bound_until.isoformat() if self.bound_until else None,
            "actions": [a.as_dict() for a in self.actions],
            "declarations": [d.as_dict() for d in self.declarations],
        }


@dataclass(frozen=True)
class Applicability:
    """Whether the Convention binds both ``a`` and ``b`` on ``on``, and why."""

    a: str
    b: str
    on: date
    applies: bool
    reasons: tuple[Finding, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "on": self.on.isoformat(),
            "applies": self.applies,
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class Projection:
    """A straight-line projection of the fortieth deposit from the observed rate of deposits.

    It is arithmetic on past dates, not a forecast: say so wherever it is shown.
    """

    rate_per_year: float
    fortieth_deposit: date
    entry_into_force: date


@dataclass
class TreatyStatus:
    """The Convention's status computed from a set of (validated) actions and declarations."""

    actions: Sequence[TreatyAction]
    declarations: Sequence[Declaration] = ()
    _memberships: dict[str, list[Membership]] = field(init=False, repr=False)
    _eif: EntryIntoForce | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.actions = tuple(_chronological(self.actions))
        self.declarations = tuple(sorted(self.declarations, key=lambda d: (d.date, d.participant)))
        self._memberships = _memberships(self.actions)
        self._eif = _entry_into_force(self._memberships)

    # --- the Convention as a whole

    @property
    def entry_into_force(self) -> EntryIntoForce | None:
        """When the Convention enters (or entered) into force, once forty are deposited."""
        return self._eif

    def entry_into_force_known_on(self, on: date) -> EntryIntoForce | None:
        """The entry into force as it could be known on ``on`` (the fortieth deposited by then)."""
        if self._eif is None or self._eif.fortieth_deposit > on:
            return None
        return self._eif

    def in_force(self, on: date) -> bool:
        return self._eif is not None and self._eif.date <= on

    def instruments_counted(self, on: date) -> int:
        """Instruments of States deposited by ``on`` and not undone by a denunciation by then.

        An REIO's instrument is not counted (Art. 65(1)).
        """
        return sum(
            1
            for code, periods in self._memberships.items()
            if _counted(code)
            for m in periods
            if m.instrument.date <= on and (m.ends is None or m.ends > on)
        )

    def summary(self, on: date) -> StatusSummary:
        eif = self.entry_into_force_known_on(on)
        signatories = {
            a.participant for a in self.actions if a.kind is ActionKind.SIGNATURE and a.date <= on
        }
        parties = sum(
            1
            for code in self._memberships
            if self._standing(code, on)[0] in (Standing.CONTRACTING, Standing.PARTY)
        )
        return StatusSummary(
            on=on,
            signatories=len(signatories),
            parties=parties,
            instruments_counted=self.instruments_counted(on),
            instruments_needed=fp.ENTRY_INTO_FORCE_INSTRUMENTS.value,
            entry_into_force=eif.date if eif else None,
            in_force=self.in_force(on),
            fortieth_deposit=eif.fortieth_deposit if eif else None,
        )

    # --- one participant

    def in_force_from(self, membership: Membership) -> date | None:
        """The day the Convention enters into force for the participant of ``membership``."""
        if self._eif is None:
            return None
        return fp.entry_into_force_for(membership.instrument.date, self._eif.date)

    def _ends(self, code: str, membership: Membership) -> date | None:
        ends = membership.ends
        members = reio_members(code)
        if members and REIO_CEASES_WITH_MEMBERS.value:
            # Art. 67: an REIO ceases to be a party when all its member States have denounced.
            last: date | None = None
            for member in members:
                periods = self._memberships.get(member)
                if not periods or periods[-1].ends is None:
                    return ends
                last = max(last or periods[-1].ends, periods[-1].ends)
            if last is not None and (ends is None or last < ends):
                return last
        return ends

    def _standing(self, code: str, on: date) -> tuple[Standing, Membership | None]:
        periods = [m for m in self._memberships.get(code, ()) if m.instrument.date <= on]
        if periods:
            current = periods[-1]
            ends = self._ends(code, current)
            if ends is not None and ends <= on:
                return Standing.DENOUNCED, current
            start = self.in_force_from(current)
            if start is None or start > on:
                return Standing.CONTRACTING, current
            return Standing.PARTY, current
        signed = any(
            a.participant == code and a.kind is ActionKind.SIGNATURE and a.date <= on
            for a in self.actions
        )
        return (Standing.SIGNED if signed else Standing.NOT_SIGNED), None

    def participant(self, code: str, on: date) -> ParticipantStatus:
        """The record of ``code`` (alpha-3 or EUU) and its standing on ``on``."""
        who = lookup(code)
        standing, membership = self._standing(who.code, on)
        signature = next(
            (
                a.date
                for a in self.actions
                if a.participant == who.code and a.kind is ActionKind.SIGNATURE
            ),
            None,
        )
        start = self.in_force_from(membership) if membership else None
        ends = self._ends(who.code, membership) if membership else None
        return ParticipantStatus(
            participant=who,
            on=on,
            standing=standing,
            finding=self._finding(who, standing, membership, on),
            signature=signature if signature and signature <= on else None,
            instrument=membership.instrument if membership else None,
            in_force_from=start,
            bound_until=ends - timedelta(days=1) if ends else None,
            actions=tuple(a for a in self.actions if a.participant == who.code),
            declarations=tuple(d for d in self.declarations if d.participant == who.code),
        )

    def _finding(
        self, who: Participant, standing: Standing, membership: Membership | None, on: date
    ) -> Finding:
        name, code = who.name, who.code
        if standing is Standing.NOT_SIGNED:
            return Finding(
                Reason.NOT_SIGNED,
                f"{name} has neither signed nor joined the Convention by {on.isoformat()}",
                code,
                str(fp.ACCESSION_OPEN.art.whole_article),
            )
        if standing is Standing.SIGNED:
            return Finding(
                Reason.SIGNED_NOT_RATIFIED,
                f"{name} signed the Convention but had not deposited an instrument of "
                f"ratification, acceptance or approval by {on.isoformat()}"
                + self._domestic_note(code, on),
                code,
                str(fp.ACCESSION_OPEN.art.whole_article),
            )
        assert membership is not None
        instrument = membership.instrument
        deposited = f"{instrument.kind.words} deposited on {instrument.date.isoformat()}"
        start = self.in_force_from(membership)
        ends = self._ends(code, membership)
        if standing is Standing.DENOUNCED:
            assert ends is not None
            notified = membership.denunciation.date.isoformat() if membership.denunciation else None
            how = (
                f"denounced the Convention on {notified}"
                if notified
                else "ceased to be a party when all its member States had denounced"
            )
            return Finding(
                Reason.DENOUNCED,
                f"{name} {how}; no longer bound from {ends.isoformat()}",
                code,
                str(fp.DENUNCIATION_DELAY.art),
            )
        if standing is Standing.CONTRACTING:
            when = (
                f"it enters into force for it on {start.isoformat()}"
                if start
                else "it enters into force for it when the Convention enters into force"
            )
            return Finding(
                Reason.NOT_YET_IN_FORCE_FOR_IT,
                f"{name} ({deposited}) is not yet bound on {on.isoformat()}: {when}",
                code,
                str(
                    fp.LATER_PARTY_DELAY.art if self.in_force(on) else fp.ENTRY_INTO_FORCE_DELAY.art
                ),
            )
        assert start is not None
        until = f"; its denunciation takes effect on {ends.isoformat()}" if ends else ""
        return Finding(
            Reason.IN_FORCE,
            f"the Convention is in force for {name} since {start.isoformat()} ({deposited}){until}",
            code,
            str(
                fp.LATER_PARTY_DELAY.art
                if start > self._eif_date()
                else fp.ENTRY_INTO_FORCE_DELAY.art
            ),
        )

    def _domestic_note(self, code: str, on: date) -> str:
        """What a State did in its own law by ``on``, said as such: not a deposit, so it does
        not count toward the forty (Art. 65(1)) nor start the State's own clock."""
        acts = [
            a for a in self.actions if a.participant == code and a.kind.is_domestic and a.date <= on
        ]
        if not acts:
            return ""
        told = "; ".join(
            f"{a.kind.words.removeprefix('domestic ')} in its own law on {a.date.isoformat()} "
            f"({a.basis.value if a.basis else 'basis not stated'}"
            + (f": {a.source}" if a.source else "")
            + ")"
            for a in acts
        )
        return (
            f"; reported: {told}, a domestic act, not a deposit with the Secretary-General: it "
            f"does not count toward the {fp.ENTRY_INTO_FORCE_INSTRUMENTS.value} instruments "
            f"({fp.ENTRY_INTO_FORCE_INSTRUMENTS.art})"
        )

    def _eif_date(self) -> date:
        assert self._eif is not None
        return self._eif.date

    # --- two participants

    def applies(self, a: str, b: str, on: date) -> Applicability:
        """Whether the Convention binds both ``a`` and ``b`` on ``on``, with every reason."""
        first, second = lookup(a), lookup(b)
        reasons: list[Finding] = []
        if not self.in_force(on):
            eif = self.entry_into_force_known_on(on)
            needed = fp.ENTRY_INTO_FORCE_INSTRUMENTS.value
            if eif is not None:
                detail = (
                    f"the {needed}th instrument was deposited on "
                    f"{eif.fortieth_deposit.isoformat()}; it enters into force on "
                    f"{eif.date.isoformat()}"
                )
            else:
                detail = f"{self.instruments_counted(on)} of the {needed} instruments needed"
            reasons.append(
                Finding(
                    Reason.CONVENTION_NOT_IN_FORCE,
                    f"the Convention is not in force on {on.isoformat()}: {detail}",
                    None,
                    str(fp.ENTRY_INTO_FORCE_DELAY.art),
                )
            )
        standings = []
        for who in (first, second) if first.code != second.code else (first,):
            status = self.participant(who.code, on)
            standings.append(status.standing)
            reasons.append(status.finding)
        applies = all(s is Standing.PARTY for s in standings)
        return Applicability(first.code, second.code, on, applies, tuple(reasons))

    # --- over time

    def counted_deposits(self, until: date | None = None) -> list[date]:
        """Deposit dates of the instruments counted toward the forty, in order."""
        return sorted(
            m.instrument.date
            for code, periods in self._memberships.items()
            if _counted(code)
            for m in periods
            if until is None or m.instrument.date <= until
        )

    def projection(self, on: date) -> Projection | None:
        """Project the fortieth deposit from the rate seen so far (None if reached or unknown).

        Needs at least two counted deposits on different days.
        """
        if self.entry_into_force_known_on(on) is not None:
            return None
        deposits = self.counted_deposits(on)
        if len(deposits) < 2 or deposits[0] == deposits[-1]:
            return None
        per_day = (len(deposits) - 1) / (deposits[-1] - deposits[0]).days
        missing = fp.ENTRY_INTO_FORCE_INSTRUMENTS.value - self.instruments_counted(on)
        fortieth = deposits[-1] + timedelta(days=math.ceil(missing / per_day))
        return Projection(
            rate_per_year=per_day * 365.25,
            fortieth_deposit=fortieth,
            entry_into_force=fp.entry_into_force_date(fortieth),
        )


def _memberships(actions: Sequence[TreatyAction]) -> dict[str, list[Membership]]:
    """Each participant's periods of being bound, from chronologically ordered actions."""
    result: dict[str, list[Membership]] = defaultdict(list)
    for action in actions:
        if action.kind.is_instrument:
            result[action.participant].append(Membership(action))
        elif action.kind is ActionKind.DENUNCIATION:
            periods = result.get(action.participant)
            if periods and periods[-1].denunciation is None:
                periods[-1] = Membership(periods[-1].instrument, action)
    return dict(result)


def _entry_into_force(memberships: dict[str, list[Membership]]) -> EntryIntoForce | None:
    """Sweep deposits and denunciations in time until forty counted instruments stand."""
    changes: dict[date, int] = defaultdict(int)
    for code, periods in memberships.items():
        if not _counted(code):
            continue  # Art. 65(1): not counted as additional to its member States'
        for m in periods:
            changes[m.instrument.date] += 1
            if m.ends is not None:
                changes[m.ends] -= 1
    standing = 0
    for day in sorted(changes):
        standing += changes[day]
        if standing >= fp.ENTRY_INTO_FORCE_INSTRUMENTS.value:
            return EntryIntoForce(day, fp.entry_into_force_date(day))
    return None
