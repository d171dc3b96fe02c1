"""Text templates: `You recorded {ric_yes} yes answers.` — names of saved answers in braces."""

from __future__ import annotations

import string
from typing import Any

__all__ = ["template_fields", "render_template", "TemplateSyntaxError"]

_FORMATTER = string.Formatter()


class TemplateSyntaxError(ValueError):
    """A template has unbalanced braces or a field that is not a plain name."""


def template_fields(text: str) -> set[str]:
    """The names a template uses (`settings.x` included as written)."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise TemplateSyntaxError(f"{exc}; write '{{{{' for a literal brace") from None
    names = set()
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if spec or conversion or not field or not _is_name(field):
            raise TemplateSyntaxError(f"'{{{field}}}' is not a plain name of a saved answer")
        names.add(field)
    return names


def _is_name(field: str) -> bool:
    parts = field.split(".")
    if len(parts) == 2 and parts[0] == "settings":
        return parts[1].isidentifier()
    return len(parts) == 1 and field.isidentifier()


def render_template(text: str, variables: dict[str, Any], parameters: dict[str, Any]) -> str:
    """Fill a template; a missing answer renders as 'not recorded'. Never raises on user data."""
    out = []
    for literal, field, _spec, _conv in _FORMATTER.parse(text):
        out.append(literal)
        if field is None:
            continue
        if field.startswith("settings."):
            value = parameters.get(field.removeprefix("settings."))
        else:
            value = variables.get(field)
        out.append(_show(value))
    return "".join(out)


def _show(value: Any) -> str:
    if value is None:
        return "not recorded"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)
