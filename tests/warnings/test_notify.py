"""Warnings notify the users who may see them: by scope, at the configured level or worse, once per episode and
level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from exportwatch.accounts.models import Role, User
from exportwatch.directory.models import Region
from exportwatch.notifications.models import EmailState, Notification
from exportwatch.warnings.models import Level, Warning
from exportwatch.warnings.notify import warning_dedupe_key, warnings_notify
from exportwatch.warnings.services import warnings_evaluate
from tests.conftest import World
from tests.monitoring.conftest import submit

PERIOD = "2020-03"


def told(user: Any, **filters: Any) -> set[str]:
    return set(Notification.objects.filter(user=user, **filters).values_list("dedupe_key", flat=True))


def key_of(**filters: Any) -> str:
    return warning_dedupe_key(Warning.objects.get(period=PERIOD, **filters))


@pytest.fixture
def raised(book: World, month_rule: None) -> World:
    """The book's month evaluated (the year-on-year rules judging the book's small enterprises too), with an analyst
    of the whole city: the only analyst who sees every enterprise (the far one is in another district)."""
    User.objects.create(username="city", role=Role.ANALYST, region=Region.objects.get(code="330200"))
    warnings_evaluate(period=PERIOD)
    return book


def test_a_town_officer_hears_of_their_towns_enterprises_only(raised: World) -> None:
    mine = key_of(scope="enterprise", key=raised.ent_a.uscc, rule="new_orders_yoy")
    other_town = key_of(scope="enterprise", key=raised.ent_c.uscc, rule="new_orders_yoy")
    keys = told(raised.town_officer)
    assert mine in keys and other_town not in keys
    assert not any(k.startswith(("warning:market:", "warning:district:")) for k in keys)
    n = Notification.objects.get(user=raised.town_officer, dedupe_key=mine)
    w = Warning.objects.get(period=PERIOD, scope="enterprise", key=raised.ent_a.uscc, rule="new_orders_yoy")
    assert (n.kind, n.level, n.url) == ("warning", "red", f"/bureau/warnings/{w.pk}/")
    assert raised.ent_a.name in n.subject and n.email_state == EmailState.NONE  # no address in the test world


def test_an_analyst_who_sees_everything_hears_of_a_market_warning(raised: World) -> None:
    market = key_of(scope="market", key="US", rule="new_orders_yoy")
    city = User.objects.get(username="city")
    assert market in told(city) and market in told(raised.admin)
    # The district analyst and leader see a part only: the enterprises of their towns, not the markets.
    for user in (raised.analyst, raised.leader):
        keys = told(user)
        assert market not in keys
        assert key_of(scope="enterprise", key=raised.ent_c.uscc, rule="new_orders_yoy") in keys


def test_reporters_handlers_and_outsiders_hear_nothing(raised: World) -> None:
    assert Notification.objects.exists()
    for user in (raised.reporter, raised.other_reporter, raised.handler, raised.outsider):
        assert told(user) == set()


def test_the_recipients_are_those_who_may_see_the_warning(raised: World) -> None:
    from exportwatch.warnings.selectors import warnings_visible

    for user in User.objects.all():
        visible = {
            warning_dedupe_key(w)
            for w in warnings_visible(user).filter(period=PERIOD, active=True, level__in=["red", "orange"])
        }
        if user.role in (Role.REPORTER, Role.HANDLER):
            visible = set()
        assert told(user) == visible, user.username


def test_evaluating_the_same_month_again_tells_nobody_anything_new(raised: World) -> None:
    before = Notification.objects.count()
    warnings_evaluate(period=PERIOD)
    assert Notification.objects.count() == before


def test_a_warning_that_stays_on_is_not_news_the_next_month(raised: World) -> None:
    submit(raised.ent_a, "2020-04", 900, 500, 4000, 3500, [("US", "8401", 2000, 500, 600)], "down")
    submit(raised.ent_a, "2019-04", 900, 2000, 4000, 3500, [("US", "8401", 2000, 2000, 600)], "down")
    episode = f"warning:enterprise:{raised.ent_a.uscc}:new_orders_yoy:"
    assert told(raised.town_officer, dedupe_key__startswith=episode) == {episode + "2020-03:red"}
    warnings_evaluate(period="2020-04")
    w = Warning.objects.get(period="2020-04", scope="enterprise", key=raised.ent_a.uscc, rule="new_orders_yoy")
    assert (w.level, w.first_period) == ("red", PERIOD)  # on since March, still red
    assert told(raised.town_officer, dedupe_key__startswith=episode) == {episode + "2020-03:red"}


def test_a_rise_to_a_worse_level_is_news_and_a_fall_is_not(world: World, month_rule: None) -> None:
    a = world.ent_a
    submit(a, "2019-03", 1000, 2000, 6000, 3000)
    submit(a, PERIOD, 900, 1300, 4500, 4000)  # new orders −35 %: orange
    orange = key_of(scope="enterprise", key=a.uscc, rule="new_orders_yoy")
    assert orange.endswith(":orange") and told(world.town_officer, level="orange") >= {orange}
    submit(a, PERIOD, 900, 900, 4500, 4000)  # −55 %: red, the same episode
    red = key_of(scope="enterprise", key=a.uscc, rule="new_orders_yoy")
    assert red == orange.removesuffix("orange") + "red"
    assert {orange, red} <= told(world.town_officer)
    count = Notification.objects.count()
    submit(a, PERIOD, 900, 1300, 4500, 4000)  # back to orange: told already
    assert Notification.objects.count() == count


def test_only_the_configured_level_or_worse_is_told(world: World, settings: Any, month_rule: None) -> None:
    settings.EXPORTWATCH_NOTIFY_LEVEL = "red"
    submit(world.ent_a, "2019-03", 1000, 2000, 6000, 3000)
    submit(world.ent_a, PERIOD, 900, 1300, 4500, 4000)  # orange
    assert not Notification.objects.filter(dedupe_key__contains="new_orders_yoy").exists()
    settings.EXPORTWATCH_NOTIFY_LEVEL = "yellow"
    w = Warning.objects.get(period=PERIOD, scope="enterprise", key=world.ent_a.uscc, rule="new_orders_yoy")
    assert warnings_notify([w]) > 0


def test_history_replayed_is_not_news(book: World, settings: Any, month_rule: None) -> None:
    Notification.objects.all().delete()  # what the book's submissions told
    settings.EXPORTWATCH_TODAY = dt.date(2021, 1, 15)  # March 2020 is ten months back: history
    warnings_evaluate(period=PERIOD)
    assert Warning.objects.filter(period=PERIOD, level="red").exists()
    assert not Notification.objects.exists()
    settings.EXPORTWATCH_TODAY = dt.date(2020, 5, 20)  # two months back: still news
    warnings_evaluate(period=PERIOD)
    assert Notification.objects.exists()


def test_the_text_is_written_in_the_default_language_whatever_the_active_one(book: World, month_rule: None) -> None:
    from django.utils import translation

    with translation.override("en"):
        warnings_evaluate(period=PERIOD)
    n = Notification.objects.filter(user=book.town_officer, dedupe_key__startswith="warning:enterprise:").first()
    assert n is not None and book.ent_a.name in n.subject and PERIOD in n.body
    with translation.override("zh-hans"):
        assert n.subject.startswith(str(Level(n.level).label)) or "预警" in n.subject
