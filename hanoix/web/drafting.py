"""Guided drafting: a form for each kind of request, built from the kind's declaration.

No form is written per kind: :func:`hanoix.documents.drafting.drafting_form` gives the fields
(the envelope from the request document's schema, then every content the Convention asks for,
each with its article and basis), and the page lays them out by their widget. As the user types,
htmx sends the form to ``check``, which answers the one-pass validation's findings placed by
field (:func:`hanoix.services.requests.drafting_check`, the same validation as the API's), whether
the Convention applies between the two States on the day, and the deadline the request sets
running. Saving creates the draft through the same service as ``POST /api/v1/requests``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import FormData

from hanoix.convention import RequestKind
from hanoix.documents.drafting import DraftingForm, FormField, Widget, drafting_form
from hanoix.documents.requests import (
    EditIn,
    RequestDocument,
    draft_document,
    read_document,
    schema_problems,
)
from hanoix.errors import ConflictError, InputError, NotFoundError, Problem, TransitionError
from hanoix.requests import Action, CooperationRequest, User
from hanoix.services import requests as service
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.services.validation import require_role
from hanoix.treaty.participants import lookup
from hanoix.web.requests import form_version
from hanoix.web.routing import page_router
from hanoix.web.session import CheckedForm, NodeOf, SignedInUser
from hanoix.web.templating import gettext_for, render

router = page_router()

# A text field longer than any the document allows is cut by the service's own limits; this
# bounds what a form may make the node read before that.
_FIELD_LIMIT = 20_000
_LIST_LIMIT = 200


def _user(node: Node, principal: Principal) -> User:
    user = service.user_for_principal(node, principal)
    require_role(user, Action.CREATE)
    return user


def _kind(value: str) -> RequestKind:
    try:
        return RequestKind(value)
    except ValueError:
        raise NotFoundError(f"no kind of request called {value!r}") from None


def field_id(path: str) -> str:
    return "f-" + path.replace(".", "-").replace("_", "-")


def _value(field: FormField, form: FormData) -> Any:
    """The document's value of ``field`` from the posted form; ``None`` when left empty (the
    validation then names the gap). A value that does not parse is passed on as typed, so
    that the validation names the problem in its own words."""
    if field.widget is Widget.YES_NO:
        return True if form.get(field.path) == "yes" else None
    if field.widget is Widget.LIST:
        if field.options:
            chosen = [str(v) for v in form.getlist(field.path)][:_LIST_LIMIT]
        else:
            typed = str(form.get(field.path) or "")[:_FIELD_LIMIT]
            chosen = [line.strip() for line in typed.splitlines() if line.strip()][:_LIST_LIMIT]
        return chosen or None
    raw = form.get(field.path)
    # Browsers send a text area's lines ended by CR LF: the document keeps LF, as it came.
    text = raw.replace("\r\n", "\n").strip()[:_FIELD_LIMIT] if isinstance(raw, str) else ""
    if not text:
        return None
    if field.widget is Widget.NUMBER:
        return int(text) if text.isdigit() else text
    return text


def document_from(kind: RequestKind, form: FormData) -> dict[str, Any]:
    """The request document the form describes (only what was filled in)."""
    document: dict[str, Any] = {"kind": kind.value}
    contents: dict[str, Any] = {}
    for field in drafting_form(kind).fields:
        value = _value(field, form)
        if value is None:
            continue
        if field.is_content:
            contents[field.path.split(".", 1)[1]] = value
        else:
            document[field.path] = value
    document["contents"] = contents
    return document


def _values(form: DraftingForm, document: Mapping[str, Any]) -> dict[str, Any]:
    """What each field shows: the document's value, as the widget shows it."""
    contents = document.get("contents") or {}
    shown: dict[str, Any] = {}
    for field in form.fields:
        value = contents.get(field.path.split(".", 1)[1]) if field.is_content else None
        if not field.is_content:
            value = document.get(field.path)
        if value is None:
            continue
        # A list written in a field of text (a content that may be either, as the API
        # allows) is shown one item a line.
        if not field.options and isinstance(value, list):
            value = "\n".join(str(item) for item in value)
        shown[field.path] = value
    return shown


def _options(field: FormField, value: object) -> Markup:
    """A select's options, ``value``'s selected: a State field has some 190, made once."""
    chosen = value if isinstance(value, str) else None
    tags = _option_tags(field.options, field.widget is Widget.STATE)
    return Markup("").join(
        _OPTION_SELECTED.format(code, label) if code == chosen else tag for code, label, tag in tags
    )


_OPTION = Markup('<option value="{}">{}</option>')
_OPTION_SELECTED = Markup('<option value="{}" selected>{}</option>')


@lru_cache(maxsize=64)
def _option_tags(options: tuple[str, ...], states: bool) -> tuple[tuple[str, str, Markup], ...]:
    labelled = ((o, f"{_state_name(o)} ({o})" if states else o) for o in options)
    return tuple((code, label, _OPTION.format(code, label)) for code, label in labelled)


def _state_name(code: str) -> str:
    try:
        return lookup(code).name
    except InputError:
        return code


def _check_context(node: Node, user: User, document: Mapping[str, Any]) -> dict[str, Any]:
    check = service.drafting_check(node, dict(document), user=user)
    errors = sum(len(found) for found in check.errors.by_path.values()) + len(
        check.errors.elsewhere
    )
    return {"check": check, "error_count": errors}


def _form_page(
    request: Request,
    node: Node,
    user: User,
    kind: RequestKind,
    document: Mapping[str, Any],
    *,
    carried: Any = None,
    editing: CooperationRequest | None = None,
    refused: list[Problem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form = drafting_form(kind)
    context = {
        "form": form,
        "values": _values(form, document),
        "options": _options,
        "field_id": field_id,
        "carried": carried,
        "editing": editing,
        # An edit is saved to the draft's own address; the findings are the kind's either way.
        "action": f"/requests/{editing.reference}/edit"
        if editing
        else f"/requests/new/{kind.value}",
        "refused": refused or [],
        **_check_context(node, user, document),
    }
    return render(request, "drafting/form.html", context, status_code=status_code)


@router.get("/requests/new", response_class=HTMLResponse)
def choose_kind(request: Request, principal: SignedInUser, node: NodeOf) -> HTMLResponse:
    _user(node, principal)
    kinds = [drafting_form(kind) for kind in RequestKind]
    return render(request, "drafting/kinds.html", {"kinds": kinds})


@router.get("/requests/new/{kind}", response_class=HTMLResponse)
def new_request(request: Request, kind: str, principal: SignedInUser, node: NodeOf) -> Response:
    chosen = _kind(kind)
    user = _user(node, principal)
    return _form_page(request, node, user, chosen, {"kind": chosen.value, "contents": {}})


@router.post("/requests/new/{kind}/check", response_class=HTMLResponse, dependencies=[CheckedForm])
async def check(request: Request, kind: str, principal: SignedInUser, node: NodeOf) -> Response:
    """The findings panel and each field's findings (htmx swaps them in place)."""
    chosen = _kind(kind)
    form = await request.form()
    user = _user(node, principal)
    context = {
        "form": drafting_form(chosen),
        "field_id": field_id,
        **_check_context(node, user, document_from(chosen, form)),
    }
    return render(request, "drafting/findings.html", context)


@router.post("/requests/new/{kind}", response_class=HTMLResponse, dependencies=[CheckedForm])
async def save_draft(
    request: Request, kind: str, principal: SignedInUser, node: NodeOf
) -> Response:
    """Save the draft (incomplete is fine: the request's page lists what it still lacks). A
    document that cannot be read as a request at all comes back with every problem."""
    chosen = _kind(kind)
    form = await request.form()
    user = _user(node, principal)
    document = document_from(chosen, form)
    reading = read_document(document)
    if reading.draft is None:
        return _form_page(
            request, node, user, chosen, document, refused=reading.problems, status_code=400
        )
    try:
        created = service.create(node, user, reading.draft)
    except InputError as refused:
        problems = list(refused.problems) or [Problem(refused.message)]
        return _form_page(request, node, user, chosen, document, refused=problems, status_code=400)
    return RedirectResponse(f"/requests/{created.request.reference}?done=drafted", status_code=303)


# --- editing a saved draft -------------------------------------------------------------------


def _editable(request: Request, node: Node, user: User, reference: str) -> CooperationRequest:
    """The draft if the user may edit it now (the service's check); a request no longer a
    draft is refused in the page's words, anything else as the service says."""
    try:
        return service.editable_draft(node, user, reference)
    except TransitionError:
        _ = gettext_for(request)
        raise ConflictError(
            _(
                "Request %(reference)s is no longer a draft: only a draft can be edited. Return "
                "it to draft from its page first, where its steps allow it."
            )
            % {"reference": reference}
        ) from None


def changes_from(kind: RequestKind, saved: Mapping[str, Any], form: FormData) -> dict[str, Any]:
    """The changes the form makes to the ``saved`` draft's document, as the edit takes them:
    each field whose shown value the user changed, and no other (an address the node settled
    stays settled unless the user changes it). A field emptied is unset (``null``), a content
    emptied removed, a statement unticked ``false``."""
    typed = document_from(kind, form)
    drafting = drafting_form(kind)
    before, after = _values(drafting, saved), _values(drafting, typed)
    changes: dict[str, Any] = {}
    contents: dict[str, Any] = {}
    for field in drafting.fields:
        was, now = before.get(field.path), after.get(field.path)
        # A box left unticked is posted as nothing: unticked, whether saved false or unset.
        if was == now or (field.widget is Widget.YES_NO and bool(was) == bool(now)):
            continue
        name = field.path.split(".", 1)[1] if field.is_content else field.path
        value = (typed.get("contents") or {}).get(name) if field.is_content else typed.get(name)
        if value is None and field.widget is Widget.YES_NO:
            value = False
        elif value is None:
            # Emptied: a content removed; a field of the document back to its default there
            # (an empty proceeding, which the validation names), else unset.
            value = "" if field.is_content else RequestDocument.model_fields[name].default
        if field.is_content:
            contents[name] = value
        else:
            changes[name] = value
    if contents:
        changes["contents"] = contents
    return changes


@router.get("/requests/{reference}/edit", response_class=HTMLResponse)
def edit_draft(request: Request, reference: str, principal: SignedInUser, node: NodeOf) -> Response:
    """The drafting form of the draft's kind, holding every field it has saved."""
    user = service.user_for_principal(node, principal)
    draft = _editable(request, node, user, reference)
    return _form_page(request, node, user, draft.kind, draft_document(draft), editing=draft)


@router.post("/requests/{reference}/edit", response_class=HTMLResponse, dependencies=[CheckedForm])
async def save_edit(
    request: Request, reference: str, principal: SignedInUser, node: NodeOf
) -> Response:
    """Save the form's changes to the same draft (the API's edit, one custody event); what
    the edit refuses comes back in the form with each problem by its field."""
    form = await request.form()
    user = service.user_for_principal(node, principal)
    draft = _editable(request, node, user, reference)
    version = form_version(form)
    changes = changes_from(draft.kind, draft_document(draft), form)
    status_code = 400
    try:
        payload = EditIn.model_validate(changes).payload(draft.kind, strict=True)
        if changes:  # nothing changed: nothing to record
            service.take_step(
                node,
                user,
                reference,
                Action.EDIT,
                expected_version=version,
                payload=payload,
            )
    except ValidationError as invalid:
        problems = schema_problems(invalid, EditIn)
    except service.StaleVersionError as stale:
        _ = gettext_for(request)
        status_code = stale.http_status
        problems = [
            Problem(
                _(
                    "This draft changed since you opened this form, so nothing was saved: open "
                    "it again from the request's page."
                )
            )
        ]
    except InputError as refused:
        problems = list(refused.problems) or [Problem(refused.message)]
    else:
        return RedirectResponse(f"/requests/{reference}?done=edit", status_code=303)
    typed = document_from(draft.kind, form)
    return _form_page(
        request,
        node,
        user,
        draft.kind,
        typed,
        editing=draft,
        refused=problems,
        status_code=status_code,
    )


@router.post("/requests/{reference}/follow-up", dependencies=[CheckedForm])
async def follow_up(
    request: Request, reference: str, principal: SignedInUser, node: NodeOf
) -> Response:
    """A preservation followed up in one click: the MLA request drafted with everything that
    carries over, linked to the preservation (the API's ``POST .../follow-up``)."""
    form = await request.form()
    user = _user(node, principal)
    result = service.follow_up(node, user, reference, expected_version=form_version(form))
    return RedirectResponse(f"/requests/{result.mla.reference}?done=drafted", status_code=303)
