"""Parsing the organisation's forms; the rules themselves live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.org.models import MemberStatus


class TeamMemberForm(forms.Form):
    """Adding someone to a team: a staff user (by username), a resident (from their page), or a name only."""

    username = forms.CharField(label=_("User name (staff who sign in)"), max_length=150, required=False)
    resident = forms.IntegerField(label=_("Resident"), required=False, widget=forms.HiddenInput)
    team = forms.IntegerField(label=_("Team"), required=False)
    display_name = forms.CharField(label=_("Name"), max_length=64, required=False)
    duty = forms.CharField(label=_("Duty"), max_length=64, required=False)
    buildings = forms.TypedMultipleChoiceField(label=_("Buildings covered"), coerce=int, required=False)
    joined_on = forms.DateField(label=_("Joined"), required=False)

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].choices = [(b.pk, b.name) for b in buildings]


class MembershipForm(forms.Form):
    """Registering a resident's party membership."""

    status = forms.ChoiceField(label=_("Status"), choices=MemberStatus.choices)
    joined_on = forms.DateField(label=_("Joined the party"), required=False)
    dual_registration_unit = forms.CharField(label=_("Dual registration: workplace"), max_length=100,
                                             required=False)
    reported_on = forms.DateField(label=_("Dual registration: reported on"), required=False)


class CoverForm(forms.Form):
    """Giving a household nobody looks after to an anchor household of its building."""

    household = forms.IntegerField(label=_("Household"))
    anchor = forms.IntegerField(label=_("Anchor household"))


class TeamMemberRemoveForm(forms.Form):
    left_on = forms.DateField(label=_("Left"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


def form_errors(form) -> str:
    """The form's errors as one sentence per field, each naming the field."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)
