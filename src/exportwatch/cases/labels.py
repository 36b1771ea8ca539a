"""Sentences for the problem codes of ``core.cases`` and of the case services, as a clerk reads them."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PROBLEM_MESSAGES: dict[str, Promise] = {
    # core.cases
    "unknown_state": _("That is not a state a case can be in."),
    "unknown_action": _("That is not something one can do to a case."),
    "bad_transition": _("A case that is “%(current)s” cannot become “%(target)s”."),
    "not_allowed": _("You may not do this to this case."),
    "reason_required": _("Say why: this step needs a reason."),
    "reply_required": _("Write the answer to the enterprise: replying needs a text."),
    "note_required": _("Write a note: this needs a text."),
    "rating_required": _("Give a rating from 1 to 5 to confirm the answer."),
    "rating_unexpected": _("A rating is only given when the answer is confirmed."),
    "case_closed": _("This case is closed: nothing more can be added to it."),
    "merge_into_self": _("A case cannot be merged into itself."),
    "merge_target_closed": _("The case to merge into is closed; choose an open one."),
    # the services
    "lead_required": _("Choose the lead department to assign the case to."),
    "stale": _("Someone else changed this case meanwhile; look at it again."),
    "attachment_too_large": _("The attachment is larger than %(max_mb)s MB."),
    "attachment_type": _("Attachments may be files of these kinds only: %(kinds)s."),
    "bad_limit": _("A time limit is a whole number of working days from 1 to 365."),
    "bad_calendar_day": _("A make-up working day is a Saturday or a Sunday."),
}
