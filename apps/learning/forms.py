"""The teacher pages' forms (apps/learning/views.py). They only turn form text into the
values the services take (a list from one choice per line, numbers); what an item, exam or
class may be is decided by the services (`clean_item`, `clean_exam`, services/people.py),
whose ValidationError the view puts on the named field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Item


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _commas(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("|", ",").split(",") if part.strip()]


def put_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: each message under the field it names
    (a field the form lacks: at the top of the form)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ItemForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Item.Kind.choices, initial=Item.Kind.CHOICE)
    stem = forms.CharField(
        label=_("Question (Markdown)"), widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=20000
    )
    choices = forms.CharField(
        label=_("Choices (one per line)"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=10000
    )
    key = forms.CharField(
        label=_("Key"),
        required=False,
        max_length=200,
        help_text=_("Multiple choice: the number of the right choice; short answer: accepted answers separated by |."),
    )
    tolerance = forms.CharField(label=_("Tolerance"), required=False, max_length=30)
    explanation = forms.CharField(
        label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000
    )
    area = forms.CharField(label=_("Area"), required=False, max_length=200)
    tags = forms.CharField(label=_("Tags (separated by commas)"), required=False, max_length=2000)
    status = forms.ChoiceField(label=_("Status"), choices=Item.Status.choices, initial=Item.Status.DRAFT)
    a = forms.CharField(label="a", required=False, max_length=30, initial="1.0")
    b = forms.CharField(label="b", required=False, max_length=30, initial="0.0")
    c = forms.CharField(label="c", required=False, max_length=30, initial="0.0")

    @classmethod
    def of(cls, item: Item) -> ItemForm:
        return cls(
            initial={
                **{name: getattr(item, name) for name in ("code", "kind", "stem", "key", "explanation", "area")},
                **{name: getattr(item, name) for name in ("status", "a", "b", "c", "tolerance")},
                "choices": "\n".join(item.choices or []),
                "tags": ", ".join(item.tags or []),
            }
        )

    def values(self) -> dict:
        """The service's keyword arguments (after is_valid())."""
        data = dict(self.cleaned_data)
        data["choices"] = _lines(data["choices"])
        data["tags"] = _commas(data["tags"])
        return data
