"""The citizen's report form: what the page shows, and the edge where a POST becomes typed values.

The rules (which categories exist, which answers are required, what a valid photo or e-mail is)
live in service_requests.services.submit_request; this module only reads the form into the
arguments it takes and words the domain's errors for a resident rather than for a programmer.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from geo_services.core.errors import DomainError, InvalidInput
from geo_services.core.parsing import parse_lat_lon
from geo_services.service_requests.attributes import MAX_TEXT
from geo_services.service_requests.models import AttributeType, CategoryAttribute, ServiceCategory
from geo_services.service_requests.services import Contact

# Open311's name for an answer to a category's question: attribute[code].
ANSWER_FIELD = re.compile(r"^attribute\[([^\[\]]{1,80})\]$")

# Category groups are free text on the category; these are the ones the municipality uses, in both
# languages. An unknown group is shown as it is written.
GROUP_LABELS = {
    "lighting": gettext_lazy("Street lighting"),
    "roads": gettext_lazy("Roads and sidewalks"),
    "streets": gettext_lazy("Streets"),
    "green": gettext_lazy("Trees and green spaces"),
    "waste": gettext_lazy("Waste and cleanliness"),
    "health": gettext_lazy("Public health"),
}
OTHER_GROUP = gettext_lazy("Other services")


def in_language(arabic: str, english: str) -> str:
    """The text in the active language, or the other one when that is empty."""
    if (get_language() or "ar").startswith("ar"):
        return arabic or english
    return english or arabic


def group_label(group: str) -> str:
    if not group:
        return str(OTHER_GROUP)
    return str(GROUP_LABELS.get(group, group))


class ReportForm(forms.Form):
    """The fixed fields of a report. Category and answers are read from the POST by read_report."""

    lat = forms.CharField(
        required=False,
        label=gettext_lazy("Latitude"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}),
    )
    lon = forms.CharField(
        required=False,
        label=gettext_lazy("Longitude"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}),
    )
    description = forms.CharField(
        required=False,
        label=gettext_lazy("Describe the problem"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT}),
    )
    address = forms.CharField(
        required=False,
        label=gettext_lazy("Address or nearby landmark"),
        widget=forms.TextInput(attrs={"maxlength": 500, "autocomplete": "street-address"}),
    )
    photo = forms.FileField(
        required=False,
        allow_empty_file=True,
        label=gettext_lazy("Photo"),
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    first_name = forms.CharField(
        required=False,
        label=gettext_lazy("First name"),
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        required=False,
        label=gettext_lazy("Last name"),
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "family-name"}),
    )
    email = forms.CharField(
        required=False,
        label=gettext_lazy("E-mail"),
        widget=forms.EmailInput(attrs={"maxlength": 254, "autocomplete": "email", "dir": "ltr"}),
    )
    phone = forms.CharField(
        required=False,
        label=gettext_lazy("Phone"),
        widget=forms.TextInput(
            attrs={"type": "tel", "maxlength": 40, "autocomplete": "tel", "inputmode": "tel", "dir": "ltr"}
        ),
    )


@dataclass(frozen=True)
class ReportInput:
    """A report read from the form: the arguments of services.submit_request."""

    service_code: str
    point: Point
    address: str
    description: str
    answers: dict[str, list[str]]
    contact: Contact
    photo: UploadedFile | None


def submitted_answers(data: QueryDict) -> dict[str, list[str]]:
    """The answers as Open311 sends them: {question code: [values]}."""
    answers: dict[str, list[str]] = {}
    for key in data:
        found = ANSWER_FIELD.match(key)
        if found:
            answers[found.group(1)] = data.getlist(key)
    return answers


def _localised_datetimes(
    attributes: Iterable[CategoryAttribute], answers: Mapping[str, list[str]], time_zone: str
) -> dict[str, list[str]]:
    # A phone's date-and-time picker sends local time without an offset; the resident means the
    # city's time, so the offset of the jurisdiction's zone is added here.
    zone = zoneinfo.ZoneInfo(time_zone)
    converted = dict(answers)
    for attribute in attributes:
        values = converted.get(attribute.code)
        if attribute.datatype != AttributeType.DATETIME or not values or len(values) != 1:
            continue
        try:
            moment = datetime.fromisoformat(values[0].strip())
        except ValueError:
            continue  # submit_request says what is wrong with it
        if moment.tzinfo is None:
            converted[attribute.code] = [moment.replace(tzinfo=zone).isoformat()]
    return converted


def read_report(
    form: ReportForm, data: QueryDict, *, categories: Iterable[ServiceCategory], time_zone: str
) -> ReportInput:
    """The report's values, or InvalidInput for what must be there before anything can be checked."""
    if not form.is_valid():
        # Only a broken upload (a file part without a name) gets here; the domain checks the rest.
        raise InvalidInput(
            " ".join(str(message) for messages in form.errors.values() for message in messages),
            code="invalid_form",
        )
    values = form.cleaned_data
    service_code = (data.get("service_code") or "").strip()
    if not service_code:
        raise InvalidInput(_("Choose the kind of problem from the list."), code="missing_service_code")
    if not values["lat"] and not values["lon"]:
        raise InvalidInput(
            _("Mark the place of the problem: tap the map, or use “Use my location”."),
            code="missing_location",
        )
    try:
        point = parse_lat_lon(values["lat"], values["lon"])
    except InvalidInput as error:
        raise InvalidInput(error.message, code="invalid_location") from None
    answers = submitted_answers(data)
    category = next((c for c in categories if c.code == service_code), None)
    if category is not None:
        answers = _localised_datetimes(category.attributes.all(), answers, time_zone)
    return ReportInput(
        service_code=service_code,
        point=point,
        address=values["address"],
        description=values["description"],
        answers=answers,
        contact=Contact(
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"],
            phone=values["phone"],
        ),
        photo=values["photo"],
    )


# Which part of the form a domain error is about, by its code.
_FIELD_OF_ERROR = {
    "missing_location": "location",
    "invalid_location": "location",
    "outside_districts": "location",
    "missing_service_code": "service_code",
    "unknown_service_code": "service_code",
    "invalid_email": "email",
    "not_an_image": "photo",
    "photo_too_large": "photo",
}


def error_field(error: DomainError) -> str:
    """The form field an error is about: a field name, "attribute:<code>", or "" for the whole form."""
    details = error.details if isinstance(error.details, dict) else {}
    if error.code == "invalid_attribute" and details.get("attribute"):
        return f"attribute:{details['attribute']}"
    return _FIELD_OF_ERROR.get(error.code, "")


def resident_message(
    error: DomainError,
    *,
    categories: Iterable[ServiceCategory],
    service_code: str,
    answers: Mapping[str, list[str]],
    jurisdiction_name: str,
) -> str:
    """The error as a resident should read it.

    The domain's messages are written for API clients (they name parameters such as
    service_code or attribute[code]); where one does, the page says the same thing in its own words.
    """
    if error.code == "unknown_service_code":
        return _("That kind of problem is not offered here; choose one from the list.")
    if error.code == "outside_districts":
        return _(
            "The pin is outside %(jurisdiction)s. Move it to the place of the problem inside the city."
        ) % {"jurisdiction": jurisdiction_name}
    if error.code == "invalid_location":
        return _(
            "The coordinates are not valid. Tap the map instead, or enter numbers such as 31.9539 and 35.9106."
        )
    if error.code == "unknown_attribute":
        return _("The form was out of date; check your answers and send it again.")
    field = error_field(error)
    if field.startswith("attribute:"):
        code = field.split(":", 1)[1]
        category = next((c for c in categories if c.code == service_code), None)
        attribute = next((a for a in category.attributes.all() if a.code == code), None) if category else None
        if attribute is not None:
            question = in_language(attribute.description_ar, attribute.description_en)
            if not any(str(v).strip() for v in answers.get(code, [])):
                return _("Please answer the question “%(question)s”.") % {"question": question}
            return _("Check your answer to “%(question)s”.") % {"question": question}
    return error.message


@dataclass(frozen=True)
class AnswerChoice:
    key: str
    label: str
    chosen: bool


@dataclass(frozen=True)
class QuestionField:
    """One of a category's questions as the form shows it."""

    code: str
    datatype: str
    label: str
    required: bool
    name: str
    html_id: str
    value: str
    choices: list[AnswerChoice]
    invalid: bool


@dataclass(frozen=True)
class CategoryChoice:
    code: str
    name: str
    description: str
    questions: list[QuestionField]
    selected: bool


@dataclass(frozen=True)
class CategoryGroup:
    label: str
    categories: list[CategoryChoice]


def _question(
    category: ServiceCategory,
    attribute: CategoryAttribute,
    *,
    answers: Mapping[str, list[str]],
    invalid: bool,
) -> QuestionField:
    given = [str(v) for v in answers.get(attribute.code, [])]
    return QuestionField(
        code=attribute.code,
        datatype=attribute.datatype,
        label=in_language(attribute.description_ar, attribute.description_en),
        required=attribute.required,
        name=f"attribute[{attribute.code}]",
        html_id=f"q-{category.code}-{attribute.code}",
        value=given[0] if given else "",
        choices=[
            AnswerChoice(
                key=str(choice.get("key", "")),
                label=in_language(str(choice.get("name_ar", "")), str(choice.get("name_en", "")))
                or str(choice.get("key", "")),
                chosen=str(choice.get("key", "")) in given,
            )
            for choice in attribute.values
            if isinstance(choice, dict)
        ],
        invalid=invalid,
    )


def category_groups(
    categories: Iterable[ServiceCategory],
    *,
    selected: str = "",
    answers: Mapping[str, list[str]] | None = None,
    invalid_field: str = "",
) -> list[CategoryGroup]:
    """The categories for the select, grouped, with their questions (answers filled in for `selected`)."""
    groups: dict[str, list[CategoryChoice]] = {}
    for category in categories:
        is_selected = category.code == selected
        given = (answers or {}) if is_selected else {}
        groups.setdefault(category.group, []).append(
            CategoryChoice(
                code=category.code,
                name=in_language(category.name_ar, category.name_en),
                description=in_language(category.description_ar, category.description_en),
                questions=[
                    _question(
                        category,
                        attribute,
                        answers=given,
                        invalid=is_selected and invalid_field == f"attribute:{attribute.code}",
                    )
                    for attribute in category.attributes.all()
                ],
                selected=is_selected,
            )
        )
    return [
        CategoryGroup(label=group_label(group), categories=sorted(choices, key=lambda c: c.name))
        for group, choices in groups.items()
    ]
