"""The routing table a new installation starts with: need category → lead department, co-handlers, limits.

Plain data, read by the data migration that seeds ``RoutingRule`` and by ``services.routing_defaults_ensure``
(which fills in a category that has no rule). Analysts change the table afterwards; these values are only the
start. Department codes are those of ``directory/data/departments.json``; each lead department is the default
one ``directory/data/need_categories.json`` names for the category (a test keeps the two in step).

Why these departments (the district's 2020 practice, 奉化区):

* financing and exchange-rate risk: the People's Bank sub-branch, which co-ordinates the banks' special loans
  (甬贸贷) and their FX hedging; the finance bureau co-handles financing (guarantees, interest subsidies), Bank of
  China exchange-rate matters (the main FX bank);
* export credit insurance and payment collection: Sinosure (policies, buyer credit checks, claims); the commerce
  bureau co-handles payment collection (it knows the buyer and the market);
* logistics: the transport bureau, with the port group (berths, containers, goods held at port);
* customs clearance: Ningbo Customs, with the shortest limits (goods wait at the port meanwhile);
* raw materials: the economy and information-technology bureau, with development and reform (supply, prices);
* labour: human resources and social security; certification and testing: market regulation;
* trade friction, contract disputes, market expansion, domestic-sales pivot, policy consultation and anything
  else: the commerce bureau itself (its business sections), the economy bureau co-handling domestic sales.

Limits: 2 working days to the first response (1 for customs clearance and policy consultation, which need no
investigation before an answer starts), 10 working days to resolve (15 for trade friction, payment collection
and contract disputes, which depend on parties abroad; 5 for customs clearance and policy consultation).
"""

from __future__ import annotations

from typing import NamedTuple


class DefaultRoute(NamedTuple):
    lead: str
    co: tuple[str, ...]
    first_response_days: int
    resolution_days: int


DEFAULT_ROUTING: dict[str, DefaultRoute] = {
    "financing": DefaultRoute("pboc", ("finance",), 2, 10),
    "credit_insurance": DefaultRoute("sinosure", (), 2, 10),
    "logistics": DefaultRoute("transport", ("port",), 2, 10),
    "customs_clearance": DefaultRoute("customs", (), 1, 5),
    "trade_friction": DefaultRoute("commerce", (), 2, 15),
    "certification": DefaultRoute("amr", (), 2, 10),
    "labour": DefaultRoute("hrss", (), 2, 10),
    "raw_materials": DefaultRoute("eit", ("drc",), 2, 10),
    "payment_collection": DefaultRoute("sinosure", ("commerce",), 2, 15),
    "exchange_rate": DefaultRoute("pboc", ("boc",), 2, 10),
    "contract_dispute": DefaultRoute("commerce", (), 2, 15),
    "market_expansion": DefaultRoute("commerce", (), 2, 10),
    "domestic_sales": DefaultRoute("commerce", ("eit",), 2, 10),
    "policy_consultation": DefaultRoute("commerce", (), 1, 5),
    "other": DefaultRoute("commerce", (), 2, 10),
}
"""need category → the route a new installation starts with."""

FALLBACK_LIMITS = (2, 10)
"""(first response, resolution) in working days for a category with neither a rule nor a default."""
