"""Does a requirement apply to this product? Decided only from the catalog's conditions and
levels and the profile's answers (or facts inferred from the firmware) — never from checks.

The result is NOT_APPLICABLE only when a condition is known not to hold (or a Xiaomi/ISVS
level is known to be below the requirement's), with the reason naming the condition and the
field that answered it. Unanswered conditions leave it open and become questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from iotbaseline.assess.profile import IMPOSSIBLE_COMBINATIONS, Profile, xiaomi_level
from iotbaseline.catalog.model import Catalog, Condition, Requirement

# Conditions Xiaomi ties to a product category; other categories answer "no".
_CATEGORY_FIELDS = {"device_is_smart_lock": "lock", "device_is_doorbell": "doorbell"}


@dataclass(frozen=True)
class Answer:
    """The answer to one profile field: value, where it came from, and any contradiction."""

    value: bool | None
    source: str  # "conditions.uses_passwords is false in the profile", "inferred from firmware: …"
    conflict: str | None = None  # profile and firmware disagree: left undecided


def _inferred(inferred: dict[str, Any], name: str) -> tuple[bool | None, str]:
    """Accept ``{name: {"value": b, "evidence"|"source": s}}`` or ``{name: b}`` with the evidence
    in ``name_source``/``name_evidence`` or a shared ``source``."""
    raw = inferred.get(name)
    if isinstance(raw, dict):
        value = raw.get("value")
        evidence = raw.get("evidence") or raw.get("source") or ""
    else:
        value = raw
        shared = inferred.get("source")
        sources = inferred.get("sources")
        evidence = (inferred.get(f"{name}_source") or inferred.get(f"{name}_evidence")
                    or (sources.get(name) if isinstance(sources, dict) else None)
                    or (shared if isinstance(shared, str) else None) or "")
    if not isinstance(value, bool):
        return None, ""
    return value, str(evidence) or "a firmware check"


def answer(name: str, profile: Profile | None, inferred: dict[str, Any]) -> Answer:
    """The profile's answer to ``name``; else what the firmware shows; else what another
    answer implies (no passwords → no pre-installed passwords …); else the category."""
    return _answer(name, profile, inferred, frozenset())


def _implied(name: str, profile: Profile | None, inferred: dict[str, Any],
             seen: frozenset[str]) -> Answer | None:
    """Use the impossible pairs of the profile rules: if (A=a, B=b) cannot both hold and B=b is
    known, then A is not a (and the reverse)."""
    for field_a, value_a, field_b, value_b, why in IMPOSSIBLE_COMBINATIONS:
        for mine, my_value, other, other_value in ((field_a, value_a, field_b, value_b),
                                                    (field_b, value_b, field_a, value_a)):
            if mine != name or other in seen:
                continue
            known = _answer(other, profile, inferred, seen | {name})
            if known.value is other_value:
                path = name if name == "constrained_device" else f"conditions.{name}"
                return Answer(not my_value, f"{path} = {str(not my_value).lower()}, implied by "
                                            f"{known.source} ({why})")
    return None


def _answer(name: str, profile: Profile | None, inferred: dict[str, Any],
            seen: frozenset[str]) -> Answer:
    declared = profile.condition_value(name) if profile is not None else None
    path = name if name == "constrained_device" else f"conditions.{name}"
    found, evidence = _inferred(inferred, name)
    if declared is not None:
        source = f"{path} is {str(declared).lower()} in the profile"
        if found is not None and found != declared:
            return Answer(None, source, conflict=(
                f"{source} but the firmware shows {str(found).lower()} "
                f"(inferred from firmware: {evidence})"))
        return Answer(declared, source)
    if found is not None:
        return Answer(found, f"{path} = {str(found).lower()}, inferred from firmware: {evidence}")
    implied = _implied(name, profile, inferred, seen)
    if implied is not None:
        return implied
    if profile is not None and name in _CATEGORY_FIELDS and profile.product.category != "other":
        value = profile.product.category == _CATEGORY_FIELDS[name]
        return Answer(value, f"{path} = {str(value).lower()}, from product.category "
                             f"'{profile.product.category}'")
    return Answer(None, f"{path} is not answered")


@dataclass
class Applicability:
    state: Literal["applies", "not_applicable", "unknown"]
    reason: str = ""
    missing: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    unmet_conditions: list[str] = field(default_factory=list)  # conditions known not to hold


def _product_level(catalog: Catalog, profile: Profile | None) -> tuple[str | None, str, str]:
    """(level, how decided, profile field) for catalogs with levels; ISVS uses isvs_level."""
    if catalog.id.startswith("xiaomi"):
        level, how = xiaomi_level(profile)
        return level, how, "xiaomi.level (or the Appendix A facts under xiaomi)"
    if catalog.id == "owasp-isvs":
        level = profile.isvs_level if profile is not None else None
        return level, "isvs_level in the profile", "isvs_level"
    return None, "", ""


def _describe(cond: Condition, ans: Answer) -> str:
    return f"condition {cond.id} ({cond.summary.rstrip('.')})"


def applicability(req: Requirement, catalog: Catalog, profile: Profile | None,
                  inferred: dict[str, Any]) -> Applicability:
    result = Applicability(state="applies")
    if req.levels and catalog.levels:
        level, how, level_field = _product_level(catalog, profile)
        if level is not None and level not in req.levels:
            return Applicability(
                state="not_applicable",
                reason=(f"Applies at level(s) {', '.join(req.levels)} only; the product is level "
                        f"{level} ({how})."))
        if level is None and set(req.levels) != set(catalog.levels) and catalog.id != "owasp-isvs":
            result.state = "unknown"
            result.missing.append(f"the product's security level ({level_field})")
            result.questions.append(
                "Which security level does the product have under the "
                f"{catalog.title} (or: what personal data does it collect, and how severe "
                "would tampering or unavailability be)?")
    if not req.conditions:
        return result
    by_id = {c.id: c for c in catalog.conditions}
    holds: list[bool | None] = []
    for cond_id in req.conditions:
        cond = by_id[cond_id]
        if cond.profile_field is None:
            holds.append(None)
            result.missing.append(f"an answer to {_describe(cond, Answer(None, ''))}")
            continue
        ans = answer(cond.profile_field, profile, inferred)
        if ans.value is None:
            holds.append(None)
            text = ans.conflict or ans.source
            result.missing.append(f"an answer to {_describe(cond, ans)}: {text}")
            result.questions.append(f"{cond.summary.rstrip('.')}? (profile field "
                                    f"{'conditions.' if cond.profile_field != 'constrained_device' else ''}"
                                    f"{cond.profile_field})")
            continue
        hold = ans.value != cond.negated
        holds.append(hold)
        if not hold:
            result.unmet_conditions.append(
                f"{_describe(cond, ans)} does not hold: {ans.source}")
    if req.condition_logic == "all":
        not_applicable = any(h is False for h in holds)
    else:
        not_applicable = bool(holds) and all(h is False for h in holds)
    if not_applicable:
        return Applicability(state="not_applicable",
                             reason="Not applicable: " + "; ".join(result.unmet_conditions) + ".",
                             unmet_conditions=result.unmet_conditions)
    if req.condition_logic == "any" and any(h is True for h in holds):
        open_questions = False  # one condition that holds is enough
    else:
        open_questions = any(h is None for h in holds)
    if open_questions:
        result.state = "unknown"
    return result
