"""Response templates: the ready-made texts supervisors keep for the steps of a case (FixMyStreet's templates)."""

from django.db import transaction
from django.utils.translation import gettext as _

from linli.cases import workflow
from linli.cases.models import Category, ResponseTemplate
from linli.cases.services.deadlines import DEADLINE_PLACE_KINDS, may_set_default_deadlines
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.places.models import Place

#: The steps a template may be written for: every step that takes a note.
TEMPLATE_ACTIONS = list(workflow.TRANSITIONS)

TITLE_MAX = ResponseTemplate._meta.get_field("title").max_length
TEXT_MAX = 2000


def may_keep_response_templates(actor, place: Place | None) -> bool:
    """Whether ``actor`` may write the templates held at ``place`` (None: everywhere)."""
    if actor is None:
        return True
    if place is None:
        return may_set_default_deadlines(actor)  # everywhere: a city administrator, as for deadlines
    return workflow.holds(actor, workflow.SUPERVISOR_ROLES, place.path)


@transaction.atomic
def response_template_save(*, actor, action: str, title: str, text: str, place: Place | None = None,
                           category: Category | None = None,
                           template: ResponseTemplate | None = None) -> ResponseTemplate:
    """Write a response template — a new one, or ``template`` changed — held at ``place`` (a street, community or
    compound; None: everywhere) for ``category`` (None: every category). Refused, with nothing written, for a step
    that does not exist, an empty or too long title or text, a place of the wrong kind, or a place (or a template)
    the actor does not supervise."""
    if action not in TEMPLATE_ACTIONS:
        raise ApplicationError(_("Choose the step the text is for."), field="action")
    title, text = (title or "").strip(), (text or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise ApplicationError(_("Give the text a short name (at most %(n)s characters).") % {"n": TITLE_MAX},
                               field="title")
    if not text or len(text) > TEXT_MAX:
        raise ApplicationError(_("Write the text (at most %(n)s characters).") % {"n": TEXT_MAX}, field="text")
    if place is not None and place.kind not in DEADLINE_PLACE_KINDS:
        raise ApplicationError(_("A response template is held at a street, community or compound."), field="place")
    forbidden = ApplicationError(_("Only a supervisor of this place may keep its response templates."),
                                 field="place", code="forbidden")
    if not may_keep_response_templates(actor, place):
        raise forbidden
    if template is not None and not may_keep_response_templates(actor, template.place):
        raise forbidden
    created = template is None
    template = template or ResponseTemplate()
    template.place, template.path = place, place.path if place is not None else ""
    template.category, template.action, template.title, template.text = category, action, title, text
    template.is_active = True
    template.save()
    audit(actor=actor, action="cases.response_template_create" if created else "cases.response_template_update",
          target=template, place_path=template.path, data={"action": action, "title": title})
    return template


@transaction.atomic
def response_template_switch(*, actor, template: ResponseTemplate, active: bool) -> ResponseTemplate:
    """Switch a template off (no longer offered, kept: a text sent with it stays on the timelines anyway) or on
    again."""
    if not may_keep_response_templates(actor, template.place):
        raise ApplicationError(_("Only a supervisor of this place may keep its response templates."),
                               field="template", code="forbidden")
    ResponseTemplate.objects.filter(pk=template.pk).update(is_active=active)
    template.is_active = active
    audit(actor=actor, action="cases.response_template_" + ("activate" if active else "deactivate"),
          target=template, place_path=template.path)
    return template
