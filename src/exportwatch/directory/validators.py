"""Model-field validators for the admin and any ModelForm, reusing the core rules and messages."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from exportwatch.common.problems import problem_message
from exportwatch.core.codes import customs_code_problem, uscc_check_char, uscc_problem
from exportwatch.core.records import Problem


def validate_uscc(value: str) -> None:
    code = uscc_problem(value)
    if code is None:
        return
    params: tuple[tuple[str, str], ...] = (("value", value), ("length", str(len(value))))
    if code == "uscc_check":
        params += (("expected", uscc_check_char(value[:17])),)
    raise ValidationError(str(problem_message(Problem("uscc", code, params))), code=code)


def validate_customs_code(value: str) -> None:
    code = customs_code_problem(value)
    if code is not None:
        raise ValidationError(str(problem_message(Problem("customs_code", code, (("value", value),)))), code=code)
