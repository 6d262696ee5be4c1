"""Parsing the organisation's forms; the rules themselves live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import DeskForm
from linli.core.forms import error_to_form as _error_to_form
from linli.org.models import MemberStatus, OrgKind, TeamKind


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


# --- the desk's management forms: Bootstrap classes, errors on their field ----------------------------------------

#: The services name ``looked_after`` what the designation form calls ``households``.
FIELD_ALIASES = {"looked_after": "households", "secretary": "secretary_username"}


def error_to_form(form: forms.Form, exc) -> None:
    """A service's ApplicationError on the org form's field (see :data:`FIELD_ALIASES`), else above the form."""
    _error_to_form(form, exc, FIELD_ALIASES)


class OrganisationForm(DeskForm):
    """A new party organisation: its kind, the place it sits at, a name and (committee, branch) its secretary."""

    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    place = forms.TypedChoiceField(label=_("Place"), coerce=int)
    name = forms.CharField(label=_("Name of the organisation"), max_length=100, required=False,
                           help_text=_("Empty: the place's name and the kind."))
    secretary_username = forms.CharField(label=_("Secretary (user name)"), max_length=150, required=False,
                                         help_text=_("A committee or branch only; a group's leader is named on its "
                                                     "page."))


class LeaderForm(DeskForm):
    """A group's leader: one of the party members of its building (empty: nobody)."""

    leader = forms.TypedChoiceField(label=_("Group leader"), coerce=int, required=False, empty_value=None)


class SecretaryForm(DeskForm):
    secretary_username = forms.CharField(label=_("Secretary (user name)"), max_length=150, required=False,
                                         help_text=_("Empty: no secretary."))


class EndForm(DeskForm):
    """Ending a membership or an anchor household: when and why (history is kept)."""

    ended_on = forms.DateField(label=_("Ended on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Empty: today."))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class DesignateForm(DeskForm):
    """Designating an anchor household in a building: the member whose household it is, and its neighbours."""

    member = forms.TypedChoiceField(label=_("Party member"), coerce=int)
    households = forms.TypedMultipleChoiceField(label=_("Households to look after"), coerce=int, required=False,
                                                widget=forms.CheckboxSelectMultiple)
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class TeamForm(DeskForm):
    compound = forms.TypedChoiceField(label=_("Compound"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamKind.choices)
    name = forms.CharField(label=_("Name of the team"), max_length=100, required=False,
                           help_text=_("Empty: the kind of team."))


class MemberBuildingsForm(DeskForm):
    buildings = forms.TypedMultipleChoiceField(label=_("Buildings covered"), coerce=int, required=False,
                                               widget=forms.CheckboxSelectMultiple,
                                               help_text=_("None: the whole compound."))
