"""A request's page: where it stands, every step on both sides with its custody event and
proof, its deadlines, conditions and evidence, and one form for each step the user may take now.

Which steps are offered is the service's answer (:func:`hanoix.services.requests.show`, from
:func:`hanoix.requests.open_steps`); taking one is the API's call
(:func:`hanoix.services.requests.take_step`) with the version the page showed, as the API's
If-Match: a page read before another change gets a message to reload, and nothing is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoix.documents.request_views import condition_view
from hanoix.documents.requests import granted_consent, parse_date_field
from hanoix.errors import HanoixError, InputError, NotFoundError, Problem
from hanoix.letters import wording
from hanoix.requests import (
    Action,
    ConditionsAttachment,
    DeleteBy,
    ExecutionReport,
    FollowUpLink,
    KeepConfidential,
    NoOnwardTransfer,
    Payload,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestReference,
    Side,
    UseAction,
    UseCondition,
    UseOnlyForProceeding,
    User,
    limits,
    rulebook,
)
from hanoix.requests.transitions import TRANSITIONS_BY_ACTION
from hanoix.services import content_notices, exchange
from hanoix.services import requests as service
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.web.i18n import native_name
from hanoix.web.routing import page_router
from hanoix.web.session import CheckedForm, NodeOf, SignedInUser
from hanoix.web.templating import N_, gettext_for, language_of, may, render

router = page_router()


# What a person reads for each status and step; the codes stay beside them on the page.
# What retention erases of a request (docs/retention.md), as its page names it.
ERASED_NAMES = {
    "personal-data": N_("Personal data"),
    "request-contents": N_("The request's contents"),
}

STATUS_NAMES = {
    "draft": N_("Draft"),
    "awaiting_approval": N_("Awaiting approval"),
    "approved": N_("Approved"),
    "sent": N_("Sent"),
    "received": N_("Received"),
    "acknowledged": N_("Acknowledged"),
    "more_information_requested": N_("More information requested"),
    "in_execution": N_("In execution"),
    "partially_executed": N_("Partially executed"),
    "executed": N_("Executed"),
    "postponed": N_("Postponed"),
    "refused": N_("Refused"),
    "withdrawn": N_("Withdrawn"),
    "closed": N_("Closed"),
}
STEP_NAMES = {
    Action.CREATE: N_("Drafted"),
    Action.REGISTER: N_("Registered"),
    Action.EDIT: N_("Edit the draft"),
    Action.SUBMIT: N_("Submit for approval"),
    Action.RETURN_TO_DRAFT: N_("Return to draft"),
    Action.APPROVE: N_("Approve"),
    Action.SEND: N_("Send"),
    Action.RECEIVE: N_("Receipt confirmed"),
    Action.ACKNOWLEDGE: N_("Acknowledge"),
    Action.REQUEST_MORE_INFORMATION: N_("Ask for more information"),
    Action.SUPPLY_INFORMATION: N_("Supply the information"),
    Action.START_EXECUTION: N_("Start execution"),
    Action.POSTPONE: N_("Postpone"),
    Action.RESUME: N_("Resume execution"),
    Action.EXECUTE_PARTIALLY: N_("Answer in part (execute in part)"),
    Action.EXECUTE: N_("Answer (execute)"),
    Action.REFUSE: N_("Refuse"),
    Action.WITHDRAW: N_("Withdraw"),
    Action.CLOSE: N_("Close"),
    Action.EXTEND_PRESERVATION: N_("Extend the preservation"),
    Action.ATTACH_CONDITIONS: N_("Attach conditions on use"),
    Action.CONSENT_TO_USE: N_("Consent to another use"),
    Action.LINK_FOLLOW_UP: N_("Link the follow-up MLA request"),
}
USE_NAMES = {
    UseAction.OPEN: N_("open the material"),
    UseAction.EXPORT: N_("export a copy"),
    UseAction.FORWARD: N_("forward to another State or recipient"),
    UseAction.USE_IN_PROCEEDING: N_("use in another proceeding"),
    UseAction.DISCLOSE_EXCULPATORY: N_("disclose as exculpatory"),
}
# Editing a draft is the drafting form's work (issue 14, item 3), not this page's.
_NOT_ON_THIS_PAGE = frozenset({Action.EDIT})
_TEXT_LIMIT = limits.MAX_NOTE_CHARS


def page_path(reference: str) -> str:
    return f"/requests/{reference}"


@dataclass(frozen=True)
class _StepForm:
    """One step the user may take, with what its form asks."""

    action: Action
    path: str
    article: str | None
    needs_note: bool
    transfers_personal_data: bool


def _forms(reference: str, steps: tuple[Action, ...]) -> list[_StepForm]:
    forms = []
    for action in steps:
        if action in _NOT_ON_THIS_PAGE:
            continue
        transition = TRANSITIONS_BY_ACTION[action]
        forms.append(
            _StepForm(
                action=action,
                path=f"{page_path(reference)}/{action.value.replace('_', '-')}",
                article=str(transition.article) if transition.article else None,
                needs_note=transition.needs_note,
                transfers_personal_data=transition.transfers_personal_data,
            )
        )
    return forms


def _time_left(left: timedelta | None, language: str) -> str:
    if left is None:
        return ""
    return format_timedelta(left, add_direction=True, locale=language)


def _page_context(request: Request, node: Node, principal: Principal, reference: str) -> Any:
    user = service.user_for_principal(node, principal)
    read = exchange.dossier(node, user, reference)
    shown, history, received = read.shown, read.history, read.received
    found = shown.request
    notes = {entry.seq: entry for entry in found.history}
    language = language_of(request)
    deadlines = [
        {
            "label": status.deadline.label,
            "due": status.deadline.due,
            "state": status.state.value,
            "left": _time_left(status.time_left, language),
            "article": str(status.deadline.article) if status.deadline.article else "",
            "basis": status.deadline.basis,
            "held_by": str(status.deadline.held_by) if status.deadline.held_by else "",
        }
        for status in shown.deadlines
    ]
    timeline = [
        {
            "step": step.step,
            "entry": notes.get(step.step.seq),
            "matches": step.entry_matches,
            "proof": f"/api/v1/ledger/proof/inclusion?index={step.step.ledger_index}"
            f"&size={history.tree_size}",
        }
        for step in history.steps
    ]
    kind = found.kind
    # A draft's page says what it still lacks (the drafting form promises it), through the
    # validation that submit, approve and send apply.
    gaps = read.gaps
    grounds = rulebook.spec(kind).refusal_grounds
    conditions = [
        {"view": condition_view(c), "text": c.describe(), "article": str(c.article)}
        for c in found.conditions.conditions
    ]
    return {
        "found": found,
        "status_name": STATUS_NAMES.get(found.status.value, found.status.value),
        "status_names": STATUS_NAMES,
        "step_names": {a.value: name for a, name in STEP_NAMES.items()},
        "use_names": {a.value: name for a, name in USE_NAMES.items()},
        "forms": _forms(str(found.reference), shown.steps),
        # The drafting form edits a draft: offered only where the service offers the step.
        "may_edit": Action.EDIT in shown.steps,
        "gaps": gaps,
        # One click drafts the MLA request that follows up a preservation (Art. 42(1)); the
        # page offers it where linking one is a step this user may take and they may draft.
        "may_follow_up": Action.LINK_FOLLOW_UP in shown.steps
        and may(principal.roles, Action.CREATE.value),
        "deadlines": deadlines,
        "timeline": timeline,
        "erasures": shown.erasures,
        "erased_names": ERASED_NAMES,
        "tree_size": history.tree_size,
        "received": received,
        "conditions": conditions,
        "consents": list(found.conditions.consents),
        "grounds": grounds,
        "is_preservation": rulebook.is_preservation(kind),
        "kind_title": rulebook.spec(kind).title,
        "kind_article": str(rulebook.legal_basis_article(kind)),
        "refusal_cautions": rulebook.refusal_cautions(kind, found.refusal.grounds)
        if found.refusal
        else [],
        "contents": {
            name: ", ".join(value) if isinstance(value, tuple) else value
            for name, value in found.contents.items()
        },
        "letter_languages": [(code, native_name(code)) for code in wording.languages()]
        if found.side is Side.REQUESTING
        else [],
        "letter_is_draft": found.approved_by is None,
        # The removal cases linked to this request, for those who may read them (docs/content.md).
        "removal_cases": content_notices.cases_of_request(node, user, str(found.reference)),
    }


@router.get("/requests/{reference}", response_class=HTMLResponse)
def request_page(
    request: Request, reference: str, principal: SignedInUser, node: NodeOf, done: str = ""
) -> HTMLResponse:
    context = _page_context(request, node, principal, reference)
    taken = _done(done)
    if taken is not None:
        _ = gettext_for(request)
        status_name = context["status_name"]
        done = _("Draft saved") if taken is Action.EDIT else _(STEP_NAMES[taken])
        context["confirmation"] = _("Done: %(step)s. The request is now: %(status)s.") % {
            "step": done,
            "status": _(status_name),
        }
    return render(request, "request.html", context)


@router.get("/requests/{reference}/letter", response_class=Response)
def request_letter(
    reference: str, principal: SignedInUser, node: NodeOf, lang: str | None = None
) -> Response:
    """The request as a formal letter (PDF), as ``hanoix request letter`` writes it."""
    # Imported when a letter is asked for, as the API and the CLI do: signing brings pyHanko
    # (about a third of a second), which a node's start need not pay.
    from hanoix.services import letters

    user = service.user_for_principal(node, principal)
    issued = letters.issue(node, user, reference, lang[:16] if lang else None)
    return Response(
        issued.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{issued.file_name}"'},
    )


def _done(value: str) -> Action | None:
    # Only a step's own code is echoed back, as its translated name: never the raw parameter.
    try:
        action = Action(value)
    except ValueError:
        return None
    return action if action in STEP_NAMES else None


# --- taking a step --------------------------------------------------------------------------


def _text(form: FormData, name: str, limit: int = _TEXT_LIMIT) -> str:
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise InputError(
            f"{name}: at most {limit} characters, got {len(text)}; shorten it",
            problems=[Problem(f"at most {limit} characters", field=name)],
        )
    return text


def _ticked(form: FormData, name: str) -> bool:
    return form.get(name) == "yes"


def _date(form: FormData, name: str, article: str | None, *, required: bool) -> Any:
    text = _text(form, name, 10)
    if not text:
        if required:
            message = f"{name}: give a date (YYYY-MM-DD)"
            raise InputError(message, problems=[Problem(message, field=name, article=article)])
        return None
    problems: list[Problem] = []
    parsed = parse_date_field(text, name, article, problems)
    if problems:
        raise InputError(f"{name}: {problems[0].message}", problems=problems)
    return parsed


def _postponement(form: FormData, user: User, now: datetime) -> Payload:
    until = _date(form, "until", str(rulebook.postponement_article()), required=True)
    return Postponement(
        until=until, reason=_text(form, "reason"), consulted=_ticked(form, "consulted")
    )


def _refusal(form: FormData, user: User, now: datetime) -> Payload:
    grounds = [g for g in form.getlist("grounds") if isinstance(g, str)]
    if len(grounds) > limits.MAX_GROUNDS or any(len(g) > limits.MAX_LABEL_CHARS for g in grounds):
        # The form offers only the kind's coded grounds: anything longer is not one of them.
        message = "grounds: choose among the grounds of refusal listed on the page"
        raise InputError(message, problems=[Problem(message, field="grounds")])
    return Refusal(
        grounds=tuple(grounds), reasons=_text(form, "reasons"), consulted=_ticked(form, "consulted")
    )


def _execution(form: FormData, user: User, now: datetime) -> Payload:
    article = str(rulebook.preservation_period_article())
    preserved_on = _date(form, "preserved_on", article, required=False)
    return ExecutionReport(preserved_on=preserved_on, summary=_text(form, "summary"))


def _extension(form: FormData, user: User, now: datetime) -> Payload:
    text = _text(form, "days", 5)
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        message = "days: a whole number of days from 1 to 3650"
        raise InputError(
            message,
            problems=[Problem(message, field="days", article=str(rulebook.extension_article()))],
        )
    return PreservationExtension(days=int(text), reason=_text(form, "reason"))


def _conditions(form: FormData, user: User, now: datetime) -> Payload:
    chosen: list[UseCondition] = []
    if _ticked(form, "use_only_for_proceeding"):
        proceeding = _text(form, "proceeding", limits.MAX_PROCEEDING_CHARS)
        if not proceeding:
            message = "proceeding: name the proceeding the material may be used for"
            raise InputError(message, problems=[Problem(message, field="proceeding")])
        chosen.append(UseOnlyForProceeding(proceeding=proceeding))
    if _ticked(form, "no_onward_transfer"):
        chosen.append(NoOnwardTransfer(written=_ticked(form, "written")))
    if _ticked(form, "keep_confidential"):
        chosen.append(KeepConfidential())
    if _ticked(form, "delete_by"):
        on = _date(form, "on", str(DeleteBy.article), required=True)
        chosen.append(DeleteBy(on=on))
    return ConditionsAttachment(tuple(chosen))


def _consent(form: FormData, user: User, now: datetime) -> Payload:
    written = _ticked(form, "written")
    letter = _text(form, "letter", limits.MAX_LABEL_CHARS) or None
    if form.get("consent") == "retention":
        until = _date(form, "until", "Art. 36(1)(b)", required=True)
        return granted_consent(user, now, until=until, written=written, letter=letter)
    try:
        use = UseAction(_text(form, "use", 40))
    except ValueError:
        message = "use: choose the use consented to"
        raise InputError(message, problems=[Problem(message, field="use")]) from None
    return granted_consent(
        user,
        now,
        use=use,
        proceeding=_text(form, "proceeding", limits.MAX_PROCEEDING_CHARS) or None,
        recipient=_text(form, "recipient", limits.MAX_LABEL_CHARS) or None,
        written=written,
        letter=letter,
    )


def _link(form: FormData, user: User, now: datetime) -> Payload:
    text = _text(form, "follow_up", limits.MAX_REFERENCE_CHARS)
    try:
        return FollowUpLink(reference=RequestReference.parse(text))
    except InputError as error:
        raise InputError(
            error.message, problems=[Problem(error.message, field="follow_up")]
        ) from None


_PAYLOADS: dict[Action, Callable[[FormData, User, datetime], Payload]] = {
    Action.POSTPONE: _postponement,
    Action.REFUSE: _refusal,
    Action.EXECUTE_PARTIALLY: _execution,
    Action.EXECUTE: _execution,
    Action.EXTEND_PRESERVATION: _extension,
    Action.ATTACH_CONDITIONS: _conditions,
    Action.CONSENT_TO_USE: _consent,
    Action.LINK_FOLLOW_UP: _link,
}


def _step_of(path_part: str) -> Action:
    try:
        action = Action(path_part.replace("-", "_"))
    except ValueError:
        action = None
    if action is None or action not in TRANSITIONS_BY_ACTION or action in _NOT_ON_THIS_PAGE:
        raise NotFoundError(f"no step {path_part!r} on a request's page")
    if TRANSITIONS_BY_ACTION[action].automatic:
        raise NotFoundError(f"no step {path_part!r} on a request's page")
    return action


def form_version(form: FormData) -> int:
    """The version of the request the form's page showed (its steps are checked against it)."""
    text = _text(form, "version", 9)
    if not text.isdigit():
        # Without it the step could not be checked against the page the user read.
        raise InputError(
            "the form lost the version of the request it was made for: reload the page"
        )
    return int(text)


def _take(node: Node, principal: Principal, reference: str, action: Action, form: FormData) -> None:
    if not _ticked(form, "confirm"):
        message = "tick the box to confirm this step; nothing was done"
        raise InputError(message, problems=[Problem(message, field="confirm")])
    user = service.user_for_principal(node, principal)
    version = form_version(form)
    to_payload = _PAYLOADS.get(action)
    payload = to_payload(form, user, node.clock.now()) if to_payload is not None else None
    service.take_step(
        node,
        user,
        reference,
        action,
        expected_version=version,
        payload=payload,
        note=_text(form, "note") or None,
    )


def _refused_page(
    request: Request, node: Node, principal: Principal, reference: str, error: HanoixError
) -> HTMLResponse:
    _ = gettext_for(request)
    context = _page_context(request, node, principal, reference)
    if isinstance(error, service.StaleVersionError):
        message = _(
            "This request changed since you opened this page, so nothing was done. Reload the "
            "page, check what changed, and take the step again if it still applies."
        )
    else:
        message = _("Nothing was done: %(reason)s") % {"reason": _(error.message)}
    context["refused"] = message
    context["problems"] = list(error.problems or ())
    return render(request, "request.html", context, status_code=error.http_status)


@router.post("/requests/{reference}/{step}", dependencies=[CheckedForm])
async def take_step(
    request: Request, reference: str, step: str, principal: SignedInUser, node: NodeOf
) -> Response:
    action = _step_of(step)
    form = await request.form()
    try:
        await run_in_threadpool(_take, node, principal, reference, action, form)
    except NotFoundError:
        raise  # another authority's request, or none: the same page as a missing one
    except HanoixError as refused:
        return await run_in_threadpool(_refused_page, request, node, principal, reference, refused)
    target = f"{page_path(str(RequestReference.parse(reference)))}?done={action.value}"
    return RedirectResponse(target, status_code=303)
