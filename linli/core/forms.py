"""Form helpers every app's desk and phone pages share: Bootstrap's classes on the widgets, and a service's
broken rule (:class:`linli.core.errors.ApplicationError`) shown on the field it names."""

from django import forms
from django.core.exceptions import ValidationError


class DeskForm(forms.Form):
    """Bootstrap's classes on every widget, so the pages need no script to look right on a phone (and Linli's
    Content-Security-Policy runs no inline script). ``choices={"field": [(value, label), …]}`` fills the lists a
    view knows (places, members, households in scope): a choice field gets them as its choices, a number field
    becomes a list to pick from."""

    def __init__(self, *args, choices: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, options in (choices or {}).items():
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField):
                field.choices = options
            else:
                field.widget = forms.Select(choices=[("", "—"), *options])
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def add_error(self, field, error):
        """Every error — the form's own and a service's (:func:`error_to_form`) — also marks its field's widget
        (``is-invalid``, ``aria-invalid``), so the field shows red where its message is."""
        super().add_error(field, error)
        for name in self._errors or ():
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", "").split():
                    attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()
                attrs["aria-invalid"] = "true"


def labelled_errors(form: forms.Form) -> list[tuple[str, str]]:
    """Each of a bound form's errors as ``(field name, message)``, the message named by its field's label
    ("工作日：…") so that a stock message such as "This field is required." still says which field; errors of the
    whole form (name ``""``) and of hidden fields as they are, the whole form's last."""
    from django.utils.translation import gettext as _

    named = []
    for name, errors in form.errors.as_data().items():
        if name == forms.forms.NON_FIELD_ERRORS:
            continue
        field = form.fields.get(name)
        labelled = field is not None and field.label and not field.widget.is_hidden
        for error in errors:
            text = " ".join(error.messages)
            # a service's message names its problem already ("Write a note: why 'reject'?"): not prefixed again
            named.append((name, _("%(field)s: %(error)s") % {"field": field.label, "error": text}
                          if labelled and error.code != SERVICE_ERROR else text))
    return named + [("", str(error)) for error in form.non_field_errors()]


def errors_text(form: forms.Form) -> str:
    """A form's errors as one message for the top of a page (:func:`labelled_errors`)."""
    return " ".join(message for _name, message in labelled_errors(form))


#: The code of the errors :func:`error_to_form` puts on a form (a service's own words).
SERVICE_ERROR = "service"


def error_to_form(form: forms.Form, exc, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ApplicationError on the form: on its field when the form has one (``aliases`` maps a
    service's field name to the form's), else above the form."""
    field = (aliases or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, ValidationError(str(exc.message), code=SERVICE_ERROR))


def submit(form: forms.Form, write, aliases: dict[str, str] | None = None) -> tuple[bool, object]:
    """The desk's "form → service" step: when ``form`` is valid, call ``write(cleaned_data)``; a broken rule it
    raises goes onto the form (:func:`error_to_form`). Returns ``(True, what write returned)``, or ``(False, None)``
    when the form has errors — the view then renders it again, with status 400."""
    from linli.core.errors import ApplicationError

    if not form.is_valid():
        return False, None
    try:
        return True, write(form.cleaned_data)
    except ApplicationError as exc:
        error_to_form(form, exc, aliases)
        return False, None
