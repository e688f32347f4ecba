"""The device profile: what the product is and what its maker declares (the IXIT of
ETSI TS 103 701) — the input that testing an image or a device cannot provide.

Three parts: ``product`` and the conditions of ETSI EN 303 645 Table B.1 / Xiaomi's device kinds
(each ``None`` while unanswered), the Xiaomi security level or the Appendix A facts that decide
it, and ``declarations`` (one field per IXIT fact a verdict needs). ``load_profile`` reports
every problem with file, line and field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError

from iotbaseline.assess.yaml_lines import LocatedYaml, YamlLoadError, load_located_yaml

PROFILE_SCHEMA = "iotbaseline.profile/1"

Category = Literal[
    "camera", "lock", "doorbell", "gateway", "router", "plug", "sensor", "speaker",
    "wearable", "hub", "appliance", "toy", "other",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
XiaomiLevel = Literal["L", "M", "H"]
Impact = Literal["minor", "limited", "severe"]
PersonalInfo = Literal[
    # Xiaomi Appendix A, confidentiality rows (our short names), grouped by impact level
    "basic", "education_work", "device_usage",  # low
    "communication", "contact",  # medium
    "identification", "biometric", "web_identifier", "health", "property",
    "internet_records", "location", "other_sensitive",  # high
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Product(_Strict):
    name: str
    vendor: str | None = None
    model: str | None = None
    category: Category = "other"
    firmware_version: str | None = None


class Conditions(_Strict):
    """ETSI Table B.1 conditions (4 and 5 are ``constrained_device`` at the top level) and the
    Xiaomi device kinds. ``None`` = not answered: may be inferred from the firmware."""

    uses_passwords: bool | None = None  # ETSI condition 1
    preinstalled_passwords: bool | None = None  # 2
    software_updatable: bool | None = None  # 3 (negated: "not updatable")
    telemetry_collected: bool | None = None  # 6
    consent_based_processing: bool | None = None  # 7
    user_authentication: bool | None = None  # 8
    automatic_updates_or_notifications: bool | None = None  # 9
    hardcoded_unique_identity: bool | None = None  # 10
    updates_via_network: bool | None = None  # 11
    update_mechanism: bool | None = None  # 12
    debug_interface_physically_accessible: bool | None = None  # 13
    device_is_smart_lock: bool | None = None  # Xiaomi 1.5–1.7
    device_is_doorbell: bool | None = None  # Xiaomi 1.5
    device_is_outdoor: bool | None = None  # Xiaomi 6.4
    device_opens_wifi_hotspot: bool | None = None  # Xiaomi 4.2.4, 4.2.5


class XiaomiFacts(_Strict):
    """Xiaomi security level, declared or decided by Appendix A's impact table."""

    level: XiaomiLevel | None = None
    personal_information: list[PersonalInfo] | None = None  # kinds collected; [] = none
    integrity_impact: Impact | None = None  # harm if the device/app is tampered with
    availability_impact: Impact | None = None  # harm if the device/service is unavailable


# ---- declarations (one group per TS 103 701 IXIT entry) -----------------------------------


class VulnerabilityDisclosure(_Strict):  # IXIT 2-UserInfo, 3-VulnTypes, 4-Conf, 5-VulnMon
    url: AnyHttpUrl | None = None
    contact: str | None = None
    timelines: str | None = None  # acknowledgement and status-update times
    acts_on_reports: bool | None = None  # 5.2-2
    monitoring: str | None = None  # 5.2-3: how vulnerabilities are monitored and fixed


class SupportPeriod(_Strict):  # IXIT 2-UserInfo, 9-ReplSup
    end: dt.date | None = None
    published_at: AnyHttpUrl | None = None  # 5.3-13
    no_update_rationale: str | None = None  # 5.3-14 (constrained, not updatable)
    hardware_replacement: str | None = None  # 5.3-15: isolation and replacement plan


class Authentication(_Strict):  # IXIT 1-AuthMech
    mechanisms: str | None = None  # 5.1-3
    password_scheme: Literal["unique_per_device", "user_defined", "universal"] | None = None
    preinstalled_password_generation: (
        Literal["random", "derived_from_public_data", "counter"] | None
    ) = None  # 5.1-2
    user_can_change: bool | None = None  # 5.1-4
    brute_force_protection: str | None = None  # 5.1-5


class Updates(_Strict):  # IXIT 6-SoftComp, 7-UpdMech, 8-UpdProc
    mechanism: str | None = None  # 5.3-2
    all_components_updatable: bool | None = None  # 5.3-1
    simple_for_user: bool | None = None  # 5.3-3
    automatic: bool | None = None  # 5.3-4
    checks_for_updates: Literal["boot_and_periodic", "periodic", "on_request", "never"] | None = (
        None  # 5.3-5
    )
    enabled_by_default_and_configurable: bool | None = None  # 5.3-6
    cryptography: str | None = None  # 5.3-7
    security_update_process: str | None = None  # 5.3-8: timeliness
    verifies_authenticity: bool | None = None  # 5.3-9, 5.3-10
    informs_user: bool | None = None  # 5.3-11
    warns_before_disruption: bool | None = None  # 5.3-12


class SecurityParameters(_Strict):  # IXIT 10-SecParam, 14-SecMgmt
    secure_storage: str | None = None  # 5.4-1
    identity_tamper_resistance: str | None = None  # 5.4-2
    none_hardcoded_in_software: bool | None = None  # 5.4-3
    unique_per_device: bool | None = None  # 5.4-4
    encrypted_in_transit: bool | None = None  # 5.5-6
    confidential_over_remote_interfaces: bool | None = None  # 5.5-7
    management_process: str | None = None  # 5.5-8


class Communication(_Strict):  # IXIT 11-ComMech, 12-NetSecImpl
    mechanisms: str | None = None  # 5.5-1
    reviewed_implementations: str | None = None  # 5.5-2
    crypto_updatable: bool | None = None  # 5.5-3
    orderly_reconnection: bool | None = None  # 5.9-3


class Services(_Strict):  # IXIT 13-SoftServ, 16-CodeMin, 17-PrivlCtrl, 18-AccCtrl
    network_functions_require_auth: bool | None = None  # 5.5-4
    config_changes_require_auth: bool | None = None  # 5.5-5
    only_needed_services_enabled: bool | None = None  # 5.6-5
    code_minimisation: str | None = None  # 5.6-6
    least_privilege: str | None = None  # 5.6-7
    memory_access_control: str | None = None  # 5.6-8
    secure_development: str | None = None  # 5.6-9 (19-SecDev)


class Interfaces(_Strict):  # IXIT 15-Intf
    listed: list[str] | None = None  # every network/logical/physical interface
    unused_disabled: bool | None = None  # 5.6-1
    minimal_unauthenticated_disclosure: bool | None = None  # 5.6-2
    physical_exposure_minimised: bool | None = None  # 5.6-3
    debug_disabled_in_software: bool | None = None  # 5.6-4


class SecureBoot(_Strict):  # IXIT 20-SecBoot
    mechanism: str | None = None  # 5.7-1
    tamper_response: str | None = None  # 5.7-2


class PersonalData(_Strict):  # IXIT 21-PersData, 2-UserInfo
    protected_in_transit: str | None = None  # 5.8-1
    sensitive_protected_in_transit: str | None = None  # 5.8-2
    information_url: AnyHttpUrl | None = None  # 6-1
    consent_obtained_validly: bool | None = None  # 6-2
    consent_withdrawal: str | None = None  # 6-3


class ExternalSensors(_Strict):  # IXIT 22-ExtSens
    sensors: list[str] | None = None  # [] = no external sensing capability
    documented_at: AnyHttpUrl | None = None  # 5.8-3


class Resilience(_Strict):  # IXIT 23-ResMech
    outage_resilience: str | None = None  # 5.9-1
    local_operation: str | None = None  # 5.9-2


class Telemetry(_Strict):  # IXIT 24-TelData
    examined_for_anomalies: bool | None = None  # 5.10-1
    personal_data_minimised: bool | None = None  # 6-4
    information_url: AnyHttpUrl | None = None  # 6-5


class DataDeletion(_Strict):  # IXIT 25-DelFunc
    device_erase: str | None = None  # 5.11-1
    service_erase: str | None = None  # 5.11-2
    instructions_url: AnyHttpUrl | None = None  # 5.11-3
    confirmation: bool | None = None  # 5.11-4


class UserInformation(_Strict):  # IXIT 2-UserInfo, 26-UserDec
    documentation_url: AnyHttpUrl | None = None
    model_designation_visible: bool | None = None  # 5.3-16
    minimal_setup_steps: bool | None = None  # 5.12-1
    secure_setup_guide_url: AnyHttpUrl | None = None  # 5.12-2
    setup_check_guide_url: AnyHttpUrl | None = None  # 5.12-3


class InputValidation(_Strict):  # IXIT 27-UserIntf, 28-ExtAPI, 29-InpVal
    description: str | None = None  # 5.13-1


class Declarations(_Strict):
    vulnerability_disclosure: VulnerabilityDisclosure = Field(
        default_factory=VulnerabilityDisclosure
    )
    support_period: SupportPeriod = Field(default_factory=SupportPeriod)
    authentication: Authentication = Field(default_factory=Authentication)
    updates: Updates = Field(default_factory=Updates)
    security_parameters: SecurityParameters = Field(default_factory=SecurityParameters)
    communication: Communication = Field(default_factory=Communication)
    services: Services = Field(default_factory=Services)
    interfaces: Interfaces = Field(default_factory=Interfaces)
    secure_boot: SecureBoot = Field(default_factory=SecureBoot)
    personal_data: PersonalData = Field(default_factory=PersonalData)
    external_sensors: ExternalSensors = Field(default_factory=ExternalSensors)
    resilience: Resilience = Field(default_factory=Resilience)
    telemetry: Telemetry = Field(default_factory=Telemetry)
    data_deletion: DataDeletion = Field(default_factory=DataDeletion)
    user_information: UserInformation = Field(default_factory=UserInformation)
    input_validation: InputValidation = Field(default_factory=InputValidation)
    # ETSI 4-1: provision id ("5.3-4") → why the recommendation is not implemented
    justifications: dict[str, str] = Field(default_factory=dict)


class Profile(_Strict):
    schema_: Literal["iotbaseline.profile/1"] = Field(default="iotbaseline.profile/1",
                                                      alias="schema")
    product: Product
    constrained_device: bool | None = None  # ETSI conditions 4 (true) and 5 (false)
    conditions: Conditions = Field(default_factory=Conditions)
    xiaomi: XiaomiFacts = Field(default_factory=XiaomiFacts)
    isvs_level: Literal["L1", "L2", "L3"] | None = None  # ISVS verification level targeted
    declarations: Declarations = Field(default_factory=Declarations)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def condition_value(self, field: str) -> bool | None:
        """The answer to a catalog condition's ``profile_field`` (None when unanswered)."""
        if field == "constrained_device":
            return self.constrained_device
        if field in Conditions.model_fields:
            value = getattr(self.conditions, field)
            return value if isinstance(value, bool) else None
        raise KeyError(f"no profile field {field!r} answers a condition")

    def declaration(self, dotted: str) -> Any:
        """The declared value at ``"updates.mechanism"`` (None when not declared)."""
        node: Any = self.declarations
        for part in dotted.split("."):
            node = getattr(node, part, None)
            if node is None:
                return None
        return node


# ---- Xiaomi Appendix A --------------------------------------------------------------------

_LEVEL_ORDER = ("L", "M", "H")
_INFO_LEVEL = {
    "basic": "L", "education_work": "L", "device_usage": "L",
    "communication": "M", "contact": "M",
}  # every other kind of personal information is high impact
_IMPACT_LEVEL = {"minor": "L", "limited": "M", "severe": "H"}


def xiaomi_level_from_facts(facts: XiaomiFacts) -> str | None:
    """The level Appendix A gives: the highest impact over confidentiality (the most sensitive
    personal information collected), integrity and availability. None when unknown (a missing
    fact could still raise it), except that any high-impact fact already decides H."""
    known: list[str] = []
    missing = False
    if facts.personal_information is None:
        missing = True
    else:
        known.extend(_INFO_LEVEL.get(kind, "H") for kind in facts.personal_information)
        known.append("L")
    for impact in (facts.integrity_impact, facts.availability_impact):
        if impact is None:
            missing = True
        else:
            known.append(_IMPACT_LEVEL[impact])
    top = max(known, key=_LEVEL_ORDER.index) if known else None
    if top == "H":
        return "H"
    return None if missing else top


def xiaomi_level(profile: Profile | None) -> tuple[str | None, str]:
    """(level, how it was decided) — the declared level wins; Appendix A facts otherwise."""
    if profile is None:
        return None, "no profile"
    if profile.xiaomi.level is not None:
        return profile.xiaomi.level, "declared in profile (xiaomi.level)"
    derived = xiaomi_level_from_facts(profile.xiaomi)
    if derived is not None:
        return derived, "derived from the Appendix A impact facts in the profile (xiaomi.*)"
    return None, "not declared and the Appendix A facts are incomplete"


# ---- loading and errors -------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileProblem:
    field: str  # dotted path, "" for the whole file
    message: str
    line: int | None = None


class ProfileError(ValueError):
    """A profile that cannot be used; ``str()`` lists ``file:line: field: problem`` lines."""

    def __init__(self, source: str, problems: list[ProfileProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            where = f"{self.source}:{p.line}" if p.line is not None else self.source
            out.append(f"{where}: {p.field}: {p.message}" if p.field else f"{where}: {p.message}")
        return out


# (field A, value A, field B, value B, why the pair is impossible); fields are condition names
IMPOSSIBLE_COMBINATIONS: tuple[tuple[str, bool, str, bool, str], ...] = (
    ("preinstalled_passwords", True, "uses_passwords", False,
     "pre-installed passwords imply that the product uses passwords"),
    ("updates_via_network", True, "update_mechanism", False,
     "updates delivered over the network need an update mechanism"),
    ("update_mechanism", True, "software_updatable", False,
     "an update mechanism means the software is updatable"),
    ("updates_via_network", True, "software_updatable", False,
     "updates delivered over the network mean the software is updatable"),
    ("automatic_updates_or_notifications", True, "update_mechanism", False,
     "automatic updates or update notifications need an update mechanism"),
    ("automatic_updates_or_notifications", True, "software_updatable", False,
     "automatic updates or update notifications mean the software is updatable"),
)


def _condition_path(name: str) -> str:
    return name if name == "constrained_device" else f"conditions.{name}"


def combination_problems(profile: Profile) -> list[tuple[str, str]]:
    """(field path, problem) for answers that cannot all be true at once."""
    problems: list[tuple[str, str]] = []
    for field_a, value_a, field_b, value_b, why in IMPOSSIBLE_COMBINATIONS:
        if (profile.condition_value(field_a) is value_a
                and profile.condition_value(field_b) is value_b):
            problems.append((
                _condition_path(field_b),
                (f"{str(value_b).lower()} contradicts {_condition_path(field_a)}: "
                f"{str(value_a).lower()} ({why})"),
            ))
    cond = profile.conditions
    category = profile.product.category
    if category == "lock" and cond.device_is_smart_lock is False:
        problems.append(("conditions.device_is_smart_lock", "false contradicts category 'lock'"))
    if category == "doorbell" and cond.device_is_doorbell is False:
        problems.append(("conditions.device_is_doorbell", "false contradicts category 'doorbell'"))
    decl = profile.declarations
    if cond.uses_passwords is False and decl.authentication.password_scheme is not None:
        problems.append(("declarations.authentication.password_scheme",
                         "declared although conditions.uses_passwords is false"))
    if cond.preinstalled_passwords is False and (
            decl.authentication.preinstalled_password_generation is not None):
        problems.append(("declarations.authentication.preinstalled_password_generation",
                         "declared although conditions.preinstalled_passwords is false"))
    if cond.update_mechanism is False and decl.updates.mechanism:
        problems.append(("declarations.updates.mechanism",
                         ("an update mechanism is described although "
                         "conditions.update_mechanism is false")))
    if cond.telemetry_collected is False and decl.telemetry.examined_for_anomalies is not None:
        problems.append(("declarations.telemetry.examined_for_anomalies",
                         "declared although conditions.telemetry_collected is false"))
    derived = xiaomi_level_from_facts(profile.xiaomi)
    declared = profile.xiaomi.level
    if declared and derived and _LEVEL_ORDER.index(declared) < _LEVEL_ORDER.index(derived):
        problems.append(("xiaomi.level",
                         (f"{declared} is below the level {derived} that the Appendix A facts "
                         "in this profile give")))
    for provision, text in decl.justifications.items():
        if not text.strip():
            problems.append((f"declarations.justifications.{provision}", "empty justification"))
    return problems


def _error_path(loc: tuple[int | str, ...]) -> tuple[tuple[str | int, ...], str]:
    path = tuple("schema" if part == "schema_" else part for part in loc)
    return path, ".".join(str(p) for p in path)


def _validate(located: LocatedYaml, source: str) -> Profile:
    data = located.data
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise ProfileError(source, [ProfileProblem("", f"top level must be a mapping, got {kind}",
                                                   1)])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path, dotted = _error_path(tuple(err["loc"]))
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "unknown field"
            elif err["type"] == "missing":
                message = "required field is missing"
            problems.append(ProfileProblem(dotted, message, located.line_of(path)))
        raise ProfileError(source, problems) from exc
    problems = [
        ProfileProblem(field, message, located.line_of(tuple(_split_path(field))))
        for field, message in combination_problems(profile)
    ]
    if problems:
        raise ProfileError(source, problems)
    return profile


def _split_path(dotted: str) -> list[str]:
    head, _, rest = dotted.partition(".justifications.")
    if rest:  # provision ids contain dots
        return [*head.split("."), "justifications", rest]
    return dotted.split(".")


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    """Validate profile YAML text; ``ProfileError`` names the line and field of each problem."""
    try:
        located = load_located_yaml(text)
    except YamlLoadError as exc:
        dotted = ".".join(str(p) for p in exc.path)
        raise ProfileError(source, [ProfileProblem(dotted, str(exc), exc.line)]) from exc
    return _validate(located, source)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(str(path), [ProfileProblem("", f"cannot read: {exc}")]) from exc
    return parse_profile(text, str(path))
