"""Schema of the catalog data files (``catalog/data/*.yaml``) and of the mapping files.

A catalog is data, never code: the loader validates each file against these models at
start-up. Checks name requirements (``"catalog:id"``); catalogs never name checks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A condition a requirement depends on (ETSI Table B.1 conditions 1–13, Xiaomi device kinds).

    ``profile_field`` names the device-profile field that answers it (see
    ``iotbaseline.assess.profile``); ``negated`` is true when the condition holds where that
    field is false (e.g. ETSI condition 3 "software components not updatable").
    """

    id: str
    summary: str  # our own paraphrase
    profile_field: str | None = None
    negated: bool = False


class TestCase(_Strict):
    """An ETSI TS 103 701 test case attached to an EN 303 645 provision."""

    __test__ = False  # not a pytest class

    id: str  # "5.1-1-2"
    kind: Literal["conceptual", "functional"]


class Chapter(_Strict):
    id: str
    title: str
    title_zh: str | None = None


class Requirement(_Strict):
    id: str  # exact id in the source: "5.1-1", "3.1.2", "5.1.6-4", "V1.1.1"
    chapter: str | None = None  # chapter/clause group id
    clause: str | None = None  # ETSI clause "5.1"; Tencent "5.1.6"
    title: str | None = None  # short heading in our words (or the source's own short title)
    title_zh: str | None = None
    summary: str  # our own one- or two-sentence paraphrase (ISVS: the licensed text)
    summary_zh: str | None = None
    # ETSI: M / R / MC / RC; Tencent: "shall"/"should" where the text says; None elsewhere.
    status: str | None = None
    conditions: list[str] = Field(default_factory=list)  # Condition ids
    condition_logic: Literal["all", "any"] = "all"
    levels: list[str] = Field(default_factory=list)  # Xiaomi "L","M","H"; ISVS "L1".."L3"
    level_note: str | None = None  # e.g. Xiaomi "(not in Annex B table)"
    test_cases: list[TestCase] = Field(default_factory=list)
    ixit: list[str] = Field(default_factory=list)  # TS 103 701 IXIT ids: "1-AuthMech"
    tags: list[str] = Field(default_factory=list)
    # True for a heading that groups requirements but is not itself assessed.
    is_group: bool = False


class RegulationView(_Strict):
    """What makes a catalog a view of a law: the regulation it belongs to and the baselines whose
    verdicts flow into it through the mapping files (``assess.regulation``).

    Several catalogs may form one regulation (EN 18031-1/-2/-3 are the three parts of the RED
    view); readiness is answered per ``id``.
    """

    id: str  # "uk-psti", "eu-red", "eu-cra"
    name: str  # "UK PSTI", "EU RED delegated act (EN 18031)", "EU Cyber Resilience Act"
    applies_from: str  # when the obligations apply, in our words ("2024-04-29")
    basis: list[str]  # catalogs whose verdicts flow in: ["etsi-en-303-645", "owasp-isvs"]


class Catalog(_Strict):
    id: str  # stable catalog id, e.g. "etsi-en-303-645"
    title: str
    version: str
    publisher: str
    source: str  # where the structure was taken from
    language: str = "en"
    license: str | None = None  # for data shipped under its own licence (ISVS: CC-BY-SA-4.0)
    attribution: str | None = None
    notes: list[str] = Field(default_factory=list)
    statuses: dict[str, str] = Field(default_factory=dict)  # status code → meaning
    levels: list[str] = Field(default_factory=list)  # ordered low → high
    conditions: list[Condition] = Field(default_factory=list)
    chapters: list[Chapter] = Field(default_factory=list)
    requirements: list[Requirement]
    # set for the regulation views (CRA, EN 18031, PSTI); None for the baselines
    regulation: RegulationView | None = None


# Tag of a regulation requirement that no firmware, probe or baseline evidence can decide: only
# the maker's attestation (declarations.attestations) answers it.
DECLARATION_ONLY = "declaration-only"


Relation = Literal["equivalent", "narrower", "broader", "related"]


class MappingRow(_Strict):
    """``source`` relates to ``target`` as ``relation`` (source is narrower than target…)."""

    source: str  # "etsi-en-303-645:5.1-1"
    target: str  # "xiaomi-2.0:3.1.2" or an external framework "cra-annex-i:I.2(j)"
    relation: Relation
    note: str | None = None


class MappingFile(_Strict):
    id: str
    title: str
    source: str  # who wrote it ("iotbaseline maintainers", "OWASP ISVS Appendix B")
    license: str | None = None
    attribution: str | None = None
    notes: list[str] = Field(default_factory=list)  # how the rows were derived, known deviations
    # Framework ids outside our catalogs that targets may use (CRA, EN 18031, NIST 800-213A).
    external_frameworks: dict[str, str] = Field(default_factory=dict)
    rows: list[MappingRow]
