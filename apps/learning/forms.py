"""The teacher pages' forms (apps/learning/views.py). They only turn form text into the
values the services take (a list from one choice per line, numbers); what an item, exam or
class may be is decided by the services (`clean_item`, `clean_exam`, services/people.py),
whose ValidationError the view puts on the named field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Exam, Item


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


class ExamForm(forms.Form):
    """An exam's fields as services/exams.py takes them; `klass` only when it is created,
    `items` (a fixed form's, in the order listed) from the items offered."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Exam.Kind.choices, initial=Exam.Kind.FIXED)
    order = forms.ChoiceField(label=_("Order"), choices=Exam.Order.choices, initial=Exam.Order.ORDERED)
    klass = forms.TypedChoiceField(label=_("Class"), required=False, coerce=int, empty_value=None)
    is_public = forms.BooleanField(label=_("Guests may read it"), required=False)
    time_limit_seconds = forms.IntegerField(
        label=_("Time limit (seconds)"), required=False, min_value=10, max_value=86400
    )
    areas = forms.CharField(
        label=_("Content areas of an adaptive exam (separated by commas; empty: all)"),
        required=False,
        max_length=2000,
    )
    cat_settings = forms.JSONField(
        label=_("CAT settings (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('For example {"se_target": 0.4, "min_length": 5, "max_length": 15}.'),
    )
    score_slope = forms.FloatField(label=_("Scaled score per θ"), initial=100.0, min_value=0.001, max_value=10000)
    score_intercept = forms.FloatField(
        label=_("Scaled score at θ = 0"), initial=500.0, min_value=-100000, max_value=100000
    )
    items = forms.TypedMultipleChoiceField(
        label=_("Items of a fixed exam"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, classes=None, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        if classes is None:
            del self.fields["klass"]
        else:
            self.fields["klass"].choices = [("", _("Every student of the zone"))] + [
                (k.pk, f"{k.organisation} · {k.name}") for k in classes
            ]
        self.fields["items"].choices = [(i.pk, f"{i.code} · {i.area} · {i.stem[:60]}") for i in items]

    @classmethod
    def of(cls, exam: Exam, **kwargs) -> ExamForm:
        initial = {name: getattr(exam, name) for name in ("title", "description", "kind", "order", "is_public")}
        initial.update({name: getattr(exam, name) for name in ("time_limit_seconds", "score_slope", "score_intercept")})
        initial["areas"] = ", ".join(exam.areas or [])
        initial["cat_settings"] = exam.cat_settings or {}
        initial["items"] = list(exam.exam_items.values_list("item_id", flat=True))
        return cls(initial=initial, **kwargs)

    def values(self) -> dict:
        """The exam's fields for the service (after is_valid()); not klass, not items."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("klass", "items")}
        data["areas"] = _commas(data["areas"])
        data["cat_settings"] = data["cat_settings"] or {}
        return data


class ClassForm(forms.Form):
    """A class's name and teachers (services/people.py:create_class/update_class, which
    refuses a teacher who does not teach at the class's organisation); `organisation` only
    when it is created."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    teachers = forms.TypedMultipleChoiceField(
        label=_("Teachers"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organisations=None, teachers=(), **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].choices = [(o.pk, str(o)) for o in organisations]
        self.fields["teachers"].choices = [
            (user.pk, f"{user.display_name or user.username} ({user.email or user.username})") for user in teachers
        ]


class EnrollForm(forms.Form):
    """A student of the class's organisation, by e-mail or picked from the list."""

    email = forms.EmailField(label=_("Student's e-mail"), required=False)
    student = forms.TypedChoiceField(label=_("or pick a student"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, students=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [("", "—")] + [
            (s.pk, f"{s.name} ({s.user.email or s.user.username})") for s in students
        ]

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("student"):
            raise ValidationError(_("Give the student's e-mail or pick one."))
        return data
