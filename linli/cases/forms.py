"""Forms of the case pages: they only parse input; the rules are in :mod:`linli.cases.services`, whose
ApplicationError (naming a field) the views put back on the form."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import Role
from linli.cases.models import Category, Channel, Level, MediationOutcome, Priority, Rating, Referral, Spot
from linli.cases.services import MAX_PHOTOS
from linli.core.forms import DeskForm


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to :data:`MAX_PHOTOS` photos; their content is checked by the service (``photo_clean``)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos (up to 6)"))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS})
        return files


WHERE_CHOICES = [("unit", _("My home")), ("building", _("My building")), ("spot", _("A public spot"))]


class ReportForm(DeskForm):
    """A resident's report, on a phone."""

    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True), label=_("What is it about?"),
                                      empty_label=_("Choose…"),
                                      error_messages={"required": _("Choose what it is about.")})
    description = forms.CharField(label=_("What happened?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
                                  error_messages={"required": _("Describe the problem (at least 4 characters).")})
    where = forms.ChoiceField(label=_("Where?"), choices=WHERE_CHOICES, initial="unit", widget=forms.RadioSelect)
    # a public spot of the compound, or a part of the building (its lift, its stairwell); a unit has none
    spot = forms.ChoiceField(label=_("Which spot?"), choices=[("", "—")] + list(Spot.choices), required=False)
    location_note = forms.CharField(label=_("Where exactly (optional)"), max_length=200, required=False)
    photos = PhotosField()
    anonymous = forms.BooleanField(label=_("Hide my name from other residents"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class StaffReportForm(DeskForm):
    """A case entered by staff: on behalf of a resident (a call, a visit) or found on patrol."""

    channel = forms.ChoiceField(label=_("How it came in"), choices=[
        (Channel.PHONE, Channel.PHONE.label), (Channel.VISIT, Channel.VISIT.label),
        (Channel.PATROL, Channel.PATROL.label)])
    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True), label=_("Category"),
                                      empty_label=_("Choose…"))
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    building = forms.IntegerField(label=_("Building"), required=False)
    unit = forms.CharField(label=_("Unit (e.g. 1-2-1502; empty for the whole building)"), max_length=32,
                           required=False)
    spot = forms.ChoiceField(label=_("Or a public spot"), choices=[("", "—")] + list(Spot.choices), required=False)
    location_note = forms.CharField(label=_("Where exactly"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=64, required=False)
    reporter_phone = forms.CharField(label=_("Resident's phone"), max_length=20, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", _("By category"))] + list(Priority.choices),
                                 required=False)
    anonymous = forms.BooleanField(label=_("Anonymous to other residents"), required=False)
    photos = PhotosField()
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class TransitionForm(DeskForm):
    """One action of the workflow, with the case's version (a stale form is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note_internal = forms.BooleanField(label=_("Only staff see this note"), required=False)
    level = forms.ChoiceField(label=_("Level"), choices=[("", "—")] + list(Level.choices), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("By the routing rules"))] + list(Role.choices),
                             required=False)
    assignee = forms.IntegerField(label=_("Handler"), required=False)
    into = forms.CharField(label=_("Merge into case number"), max_length=32, required=False)
    workdays = forms.IntegerField(label=_("Working days"), min_value=1, max_value=60, required=False)
    referred_to = forms.ChoiceField(label=_("Referred to"), choices=[("", "—")] + list(Referral.choices),
                                    required=False)
    photos = PhotosField()


class FollowUpCallForm(DeskForm):
    """What came of a follow-up call: reached the reporter (and their rating) or not."""

    reached = forms.TypedChoiceField(label=_("The call"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                     choices=[("1", _("Reached the reporter")), ("0", _("Could not reach them"))],
                                     error_messages={"required": _("Say whether you reached the reporter.")})
    rating = forms.ChoiceField(label=_("Their rating"), choices=Rating.choices, required=False,
                               widget=forms.RadioSelect)
    comment = forms.CharField(label=_("What they said"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(DeskForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    passed = forms.TypedChoiceField(label=_("Result on the spot"), coerce=lambda v: v == "1",
                                    choices=[("1", _("Solved")), ("0", _("Not solved"))], widget=forms.RadioSelect,
                                    error_messages={"required": _("Choose whether it is solved.")})
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField()


class RateForm(DeskForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    rating = forms.ChoiceField(label=_("How was it?"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment (required when not satisfied)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(DeskForm):
    """The reporter's answer to a handler's question (their case is waiting for them), with photos if they help."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Your answer"), max_length=2000,
                           error_messages={"required": _("Write your answer.")},
                           widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField()


class CommentForm(DeskForm):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note_internal = forms.BooleanField(label=_("Only staff see this note"), required=False)
    photos = PhotosField()


class RoutingRuleForm(DeskForm):
    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True), label=_("Category"))
    place = forms.IntegerField(label=_("Place"))
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    handler = forms.IntegerField(label=_("Handler (optional)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ResponseTemplateForm(DeskForm):
    """A ready-made text for a step: where it is offered (the view's places), for which category and step."""

    template = forms.IntegerField(widget=forms.HiddenInput, required=False)  # the one being changed
    place = forms.ChoiceField(label=_("Where"), required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True), label=_("Category"),
                                      required=False, empty_label=_("Every category"))
    action = forms.ChoiceField(label=_("Step"))
    title = forms.CharField(label=_("Short name"), max_length=64)
    text = forms.CharField(label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from linli.cases import workflow
        from linli.cases.services import TEMPLATE_ACTIONS

        self.fields["action"].choices = [(a, capfirst(workflow.action_label(a))) for a in TEMPLATE_ACTIONS]


class DeadlineForm(DeskForm):
    place = forms.IntegerField(label=_("Where"), required=False)  # empty: everywhere (a city administrator only)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), label=_("Category"))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    response_hours = forms.IntegerField(label=_("Response within (hours)"), min_value=1, max_value=24 * 30)
    resolution_workdays = forms.IntegerField(label=_("Resolution within (working days)"), min_value=1, max_value=120)


class WorkdayForm(DeskForm):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label=_("This day is"), coerce=lambda v: v == "1",
        choices=[("0", _("a holiday (休)")), ("1", _("a make-up working day (班)"))])
    note = forms.CharField(label=_("Note (e.g. 春节)"), max_length=64, required=False)


class MediationStartForm(DeskForm):
    peacemaker = forms.IntegerField(label=_("Peacemaker"))
    parties = forms.CharField(label=_("Parties, one per line: name, side"), widget=forms.Textarea(attrs={"rows": 3}))


class MediationSessionForm(DeskForm):
    notes = forms.CharField(label=_("Notes of the session"), widget=forms.Textarea(attrs={"rows": 4}))


class MediationConcludeForm(DeskForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[(MediationOutcome.AGREED, MediationOutcome.AGREED.label),
                                                            (MediationOutcome.FAILED, MediationOutcome.FAILED.label)])
    agreement_text = forms.CharField(label=_("Agreement"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    referred_to = forms.ChoiceField(label=_("Referred to (when failed)"), choices=[("", "—")] + list(Referral.choices),
                                    required=False)
    note = forms.CharField(label=_("Note"), required=False)
