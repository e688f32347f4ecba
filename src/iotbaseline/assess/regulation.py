"""Verdicts of the regulation views (UK PSTI, EN 18031-1/-2/-3, CRA Annex I) from the verdicts of
their basis baselines (ETSI EN 303 645, OWASP ISVS), through the mapping files.

A law is not assessed from evidence of its own: the evidence (findings, checks, probe,
declarations) cites the baselines, and the mapping says how each baseline requirement relates
to each legal requirement. The relation decides what may flow (read from the regulation's side):

- ``equivalent`` (the same obligation) or ``narrower`` (the regulation asks less than the
  baseline requirement): the baseline requirement *covers* it — its PASS can pass it, its FAIL
  fails it only when equivalent (a broader requirement may fail for a reason outside the law).
- ``broader`` (the baseline requirement is one *part* of the regulation requirement): its FAIL
  fails the regulation requirement; its PASS is never enough alone.
- ``related``: context. A FAIL there leaves the requirement to review (INCONCLUSIVE), never FAIL.

Evidence that cites the regulation requirement itself (a finding, an attestation in
``declarations.attestations``) is decided by the ordinary engine first and combined here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iotbaseline.catalog.model import DECLARATION_ONLY, Catalog, Requirement
from iotbaseline.model import Evidence, Verdict, VerdictValue

Mapper = Callable[[str], list[tuple[str, str]]]
BasisVerdicts = dict[str, dict[str, Verdict]]  # basis catalog id -> requirement id -> verdict

_COVERS = ("equivalent", "narrower")  # relation from the regulation's side
_PART = "broader"
_RELATED = "related"
_EVIDENCE_PER_SOURCE = 4  # evidence items copied from each mapped verdict
_LISTED = 6  # refs named in a reason before "and N more"


@dataclass(frozen=True)
class MappedVerdict:
    """One basis requirement mapped to the regulation requirement, with its verdict."""

    ref: str  # "etsi-en-303-645:5.1-1"
    relation: str  # read from the regulation requirement's side
    verdict: Verdict


def mapped_verdicts(ref: str, basis: list[str], verdicts: BasisVerdicts,
                    mapper: Mapper) -> list[MappedVerdict]:
    """The basis requirements mapped to ``ref`` that have a verdict, in mapping order."""
    out: list[MappedVerdict] = []
    for other, relation in mapper(ref):
        catalog_id, _, req_id = other.partition(":")
        if catalog_id not in basis:
            continue
        verdict = verdicts.get(catalog_id, {}).get(req_id)
        if verdict is not None:
            out.append(MappedVerdict(other, relation, verdict))
    return out


def _names(items: list[MappedVerdict]) -> str:
    refs = [m.ref for m in items]
    shown = ", ".join(refs[:_LISTED])
    return shown + (f" and {len(refs) - _LISTED} more" if len(refs) > _LISTED else "")


def _labelled(items: list[MappedVerdict]) -> str:
    """'etsi…:5.1-1 (equivalent), etsi…:5.1-2 (part of it)' for the first few items."""
    label = {"equivalent": "equivalent", "broader": "part of it", "narrower": "covers it",
             "related": "related"}
    shown = ", ".join(f"{m.ref} ({label[m.relation]})" for m in items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _carried(items: list[MappedVerdict]) -> list[Evidence]:
    """Each mapped verdict as a note, followed by the first pieces of its own evidence."""
    out: list[Evidence] = []
    for m in items:
        out.append(Evidence(kind="note", ref=m.ref,
                            detail=f"{m.verdict.verdict.value} ({m.relation}): {m.verdict.reason}"))
        out.extend(m.verdict.evidence[:_EVIDENCE_PER_SOURCE])
    return out


def combine(req: Requirement, catalog: Catalog, own: Verdict, mapped: list[MappedVerdict],
            *, directly_evidenced: bool,
            open_conditions: tuple[list[str], list[str]] | None = None) -> Verdict:
    """The regulation requirement's verdict from its own (direct) verdict and the mapped ones.

    ``directly_evidenced``: a firmware or probe check cites the requirement itself, so its own
    verdict's missing evidence is real (else it only asks for an attestation, said here once).
    ``open_conditions``: (missing, questions) of the requirement's unanswered conditions.
    """
    ref = f"{catalog.id}:{req.id}"
    if own.verdict is VerdictValue.NOT_APPLICABLE:
        return own
    covers = [m for m in mapped if m.relation in _COVERS]
    equivalents = [m for m in covers if m.relation == "equivalent"]
    parts = [m for m in mapped if m.relation == _PART]
    related = [m for m in mapped if m.relation == _RELATED]

    def failed(items: list[MappedVerdict]) -> list[MappedVerdict]:
        return [m for m in items if m.verdict.verdict is VerdictValue.FAIL]

    blocking = failed(equivalents) + failed(parts)
    cond_missing, cond_questions = open_conditions or ([], [])
    if blocking and own.verdict is not VerdictValue.FAIL and cond_missing:
        # the baseline failure shows a defect, not that this law's condition holds
        verb = "is" if len(blocking) == 1 else "are"
        unanswered = [*cond_missing, (f"nothing else: if it applies it is not met, since "
                                      f"{_labelled(blocking)} {verb} FAIL")]
        return Verdict(verdict=VerdictValue.INCONCLUSIVE,
                       reason="Not decided: missing " + "; ".join(unanswered) + ".",
                       evidence=_carried(blocking), missing=unanswered,
                       questions=list(cond_questions))
    if own.verdict is VerdictValue.FAIL or blocking:
        reasons = [own.reason.removesuffix(".")] if own.verdict is VerdictValue.FAIL else []
        if blocking:
            reasons.append("Not met: the mapped baseline requirement"
                           f"{'' if len(blocking) == 1 else 's'} {_labelled(blocking)} "
                           f"{'is' if len(blocking) == 1 else 'are'} FAIL")
        evidence = (own.evidence if own.verdict is VerdictValue.FAIL else []) + _carried(blocking)
        return Verdict(verdict=VerdictValue.FAIL, reason="; ".join(reasons) + ".",
                       evidence=evidence)

    if equivalents and all(m.verdict.verdict is VerdictValue.NOT_APPLICABLE for m in equivalents):
        first = equivalents[0]
        return Verdict(verdict=VerdictValue.NOT_APPLICABLE,
                       reason=f"Not applicable, as its equivalent {first.ref}: {first.verdict.reason}",
                       evidence=_carried(equivalents))

    undecided = [m for m in covers + parts if m.verdict.verdict is VerdictValue.INCONCLUSIVE]
    covering_pass = [m for m in covers if m.verdict.verdict is VerdictValue.PASS]
    # a broader requirement that fails may fail outside this one; a related one only overlaps
    related_fail = failed([m for m in covers if m.relation != "equivalent"]) + failed(related)
    whole = bool(covering_pass) or own.verdict is VerdictValue.PASS
    positive = [m for m in covers + parts if m.verdict.verdict is VerdictValue.PASS]

    if whole and not undecided and not related_fail:
        by = []
        if covering_pass:
            by.append(f"{_names(covering_pass)} (PASS, covering it in the mapping)")
        if own.verdict is VerdictValue.PASS:
            by.append(own.reason.removeprefix("Met, on ").removesuffix("."))
        others = [m for m in positive if m not in covering_pass]
        if others:
            by.append(f"its mapped parts {_names(others)} (PASS)")
        evidence = (own.evidence if own.verdict is VerdictValue.PASS else []) + _carried(positive)
        return Verdict(verdict=VerdictValue.PASS, reason="Met, on " + "; ".join(by) + ".",
                       evidence=evidence)

    missing: list[str] = []
    questions: list[str] = []
    if undecided:
        missing.append(f"verdicts on the mapped requirements {_names(undecided)} (now "
                       + ", ".join(sorted({m.verdict.verdict.value for m in undecided})) + ")")
        for m in undecided:
            questions.extend(q for q in m.verdict.questions if q not in questions)
    if related_fail:
        missing.append(f"a review of the related requirements {_names(related_fail)}, which "
                       "are FAIL: say whether their failure touches this requirement")
    if not whole:
        if own.verdict is VerdictValue.INCONCLUSIVE and directly_evidenced:
            missing.extend(own.missing)  # a check cites this requirement directly
            questions.extend(q for q in own.questions if q not in questions)
        if DECLARATION_ONLY in req.tags or not covers:
            what = ("no firmware, probe or baseline evidence can show it"
                    if DECLARATION_ONLY in req.tags or not (parts or related)
                    else "the mapped requirements cover only part of it")
            missing.append(f"the maker's attestation declarations.attestations['{ref}'] "
                           f"({what})")
            question = (f"How does the product meet {ref} ({req.summary.rstrip('.')})? Attest it "
                        f"in declarations.attestations['{ref}'] with the document it rests on.")
            if question not in questions:
                questions.append(question)
    if not missing:  # a covering requirement is PASS but own evidence is still open
        missing.extend(own.missing)
        questions.extend(q for q in own.questions if q not in questions)
    missing.extend(m for m in cond_missing if m not in missing)
    questions.extend(q for q in cond_questions if q not in questions)
    evidence = list(own.evidence) + _carried(positive + related_fail)
    return Verdict(verdict=VerdictValue.INCONCLUSIVE,
                   reason="Not decided: missing " + "; ".join(missing) + ".",
                   evidence=evidence, missing=missing, questions=questions)
