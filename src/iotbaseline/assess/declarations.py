"""Which declarations (profile fields, the IXIT of TS 103 701) can decide which requirements.

``REQUIREMENT_NEEDS`` is the data table the engine reads: for a requirement, the declared facts
it needs and whether it also needs technical evidence (a firmware check or the live probe).
A requirement absent from the table needs technical evidence only. ``DECLARATION_PROVISIONS``
(declaration field → requirements it evidences) is derived from it for ``catalog coverage``
and for the questions to the manufacturer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    """One declared fact. ``field`` is a dotted path under ``declarations``.

    Booleans: true satisfies, false declares the provision not met (FAIL). Choices: a value in
    ``accept`` satisfies, one in ``reject`` is a FAIL. Text, URLs and lists: present satisfies.
    """

    field: str
    question: str  # what to ask the manufacturer, our words
    accept: frozenset[str] = frozenset()
    reject: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Needs:
    declarations: tuple[Need, ...]
    technical: bool  # also needs a PASS from a check or a probe observation


def _n(field: str, question: str, accept: tuple[str, ...] = (), reject: tuple[str, ...] = ()
       ) -> Need:
    return Need(field, question, frozenset(accept), frozenset(reject))


def _decl(*needs: Need) -> Needs:
    return Needs(needs, technical=False)


def _both(*needs: Need) -> Needs:
    return Needs(needs, technical=True)


_E = "etsi-en-303-645:"
_X = "xiaomi-2.0:"
_T = "tencent-qtx-001.1:"

REQUIREMENT_NEEDS: dict[str, Needs] = {
    # ---- ETSI EN 303 645 (IXIT entries in brackets) ----
    # 4-1 is decided from the other verdicts and declarations.justifications (see engine).
    _E + "5.1-1": _both(_n("authentication.password_scheme",
                           "How are device passwords set: unique per device, or chosen by the "
                           "user? [1-AuthMech]",
                           accept=("unique_per_device", "user_defined"), reject=("universal",))),
    _E + "5.1-2": _both(_n("authentication.preinstalled_password_generation",
                           "How are the pre-installed unique passwords generated? [1-AuthMech]",
                           accept=("random",), reject=("derived_from_public_data", "counter"))),
    _E + "5.1-3": _both(_n("authentication.mechanisms",
                           "Which mechanisms authenticate users to the device, and with what "
                           "cryptography? [1-AuthMech]")),
    _E + "5.1-4": _decl(_n("authentication.user_can_change",
                           "Can the user change the authentication value with a simple "
                           "mechanism? [1-AuthMech, 2-UserInfo]")),
    _E + "5.1-5": _both(_n("authentication.brute_force_protection",
                           "How are brute-force attacks over network interfaces made impractical "
                           "(rate limit, back-off, lockout)? [1-AuthMech]")),
    _E + "5.2-1": _decl(
        _n("vulnerability_disclosure.url", "Where is the vulnerability disclosure policy "
           "published (URL)? [2-UserInfo]"),
        _n("vulnerability_disclosure.contact", "Whom do reporters contact? [2-UserInfo]"),
        _n("vulnerability_disclosure.timelines", "What are the timelines for acknowledgement and "
           "status updates? [2-UserInfo]")),
    _E + "5.2-2": _decl(_n("vulnerability_disclosure.acts_on_reports",
                           "Are disclosed vulnerabilities acted on in a timely way? "
                           "[3-VulnTypes, 4-Conf]")),
    _E + "5.2-3": _decl(_n("vulnerability_disclosure.monitoring",
                           "How are vulnerabilities in the product monitored, identified and "
                           "fixed during the support period? [5-VulnMon]")),
    _E + "5.3-1": _decl(_n("updates.all_components_updatable",
                           "Can every software component be updated securely? [6-SoftComp]")),
    _E + "5.3-2": _both(_n("updates.mechanism",
                           "Describe the update mechanism and how it installs updates securely. "
                           "[7-UpdMech]")),
    _E + "5.3-3": _decl(_n("updates.simple_for_user",
                           "Is applying an update simple for the user? [7-UpdMech]")),
    _E + "5.3-4": _decl(_n("updates.automatic",
                           "Are software updates applied automatically? [7-UpdMech]")),
    _E + "5.3-5": _decl(_n("updates.checks_for_updates",
                           "When does the device check for security updates? [7-UpdMech]",
                           accept=("boot_and_periodic",),
                           reject=("periodic", "on_request", "never"))),
    _E + "5.3-6": _decl(_n("updates.enabled_by_default_and_configurable",
                           "Are automatic updates/notifications on by default and can the user "
                           "switch them off or postpone them? [7-UpdMech]")),
    _E + "5.3-7": _both(_n("updates.cryptography",
                           "Which cryptography protects the update mechanism (signatures, "
                           "algorithms, key handling)? [7-UpdMech]")),
    _E + "5.3-8": _decl(_n("updates.security_update_process",
                           "How quickly are security updates delivered after a fix? "
                           "[8-UpdProc]")),
    _E + "5.3-9": _both(_n("updates.verifies_authenticity",
                           "Does the device verify authenticity and integrity of every update? "
                           "[7-UpdMech]")),
    _E + "5.3-10": _both(_n("updates.verifies_authenticity",
                            "Does the device verify each update received over the network "
                            "through a trust relationship? [7-UpdMech]")),
    _E + "5.3-11": _decl(_n("updates.informs_user",
                            "Is the user told clearly when a security update is needed, with "
                            "the risk it mitigates? [7-UpdMech]")),
    _E + "5.3-12": _decl(_n("updates.warns_before_disruption",
                            "Does the device warn the user when an update will interrupt its "
                            "basic function? [7-UpdMech]")),
    _E + "5.3-13": _decl(
        _n("support_period.end", "Until when will the product receive security updates? "
           "[2-UserInfo]"),
        _n("support_period.published_at", "Where is the support period published (URL)? "
           "[2-UserInfo]")),
    _E + "5.3-14": _decl(
        _n("support_period.no_update_rationale", "Why can the product not be updated, and for "
           "how long and how is hardware replacement supported? [2-UserInfo]"),
        _n("support_period.published_at", "Where is the support period published (URL)? "
           "[2-UserInfo]")),
    _E + "5.3-15": _decl(_n("support_period.hardware_replacement",
                            "How can the product be isolated and its hardware replaced? "
                            "[9-ReplSup]")),
    _E + "5.3-16": _both(_n("user_information.model_designation_visible",
                            "Is the model designation recognisable on a label or through a "
                            "physical interface? [2-UserInfo]")),
    _E + "5.4-1": _both(_n("security_parameters.secure_storage",
                           "How are sensitive security parameters stored securely on the "
                           "device? [10-SecParam]")),
    _E + "5.4-2": _decl(_n("security_parameters.identity_tamper_resistance",
                           "How is the hard-coded per-device identity protected against "
                           "tampering? [10-SecParam]")),
    _E + "5.4-3": _both(_n("security_parameters.none_hardcoded_in_software",
                           "Is it confirmed that no critical security parameter is hard-coded in "
                           "the software? [10-SecParam]")),
    _E + "5.4-4": _both(_n("security_parameters.unique_per_device",
                           "Are the keys for update integrity and cloud communication unique per "
                           "device? [10-SecParam]")),
    _E + "5.5-1": _both(_n("communication.mechanisms",
                           "Which protocols and cryptography secure each communication? "
                           "[11-ComMech]")),
    _E + "5.5-2": _decl(_n("communication.reviewed_implementations",
                           "Which reviewed or evaluated implementations are used for network and "
                           "security functions? [12-NetSecImpl]")),
    _E + "5.5-3": _decl(_n("communication.crypto_updatable",
                           "Can cryptographic algorithms and primitives be updated? "
                           "[6-SoftComp]")),
    _E + "5.5-4": _both(_n("services.network_functions_require_auth",
                           "Is network access to device functions allowed only after "
                           "authentication? [13-SoftServ, 1-AuthMech]")),
    _E + "5.5-5": _both(_n("services.config_changes_require_auth",
                           "Do security-relevant configuration changes over the network require "
                           "authentication? [13-SoftServ]")),
    _E + "5.5-6": _both(_n("security_parameters.encrypted_in_transit",
                           "Are critical security parameters encrypted in transit? "
                           "[10-SecParam, 11-ComMech]")),
    _E + "5.5-7": _both(_n("security_parameters.confidential_over_remote_interfaces",
                           "Are critical security parameters kept confidential over remotely "
                           "accessible interfaces? [10-SecParam, 11-ComMech]")),
    _E + "5.5-8": _decl(_n("security_parameters.management_process",
                           "Describe the management process for critical security parameters. "
                           "[14-SecMgmt]")),
    _E + "5.6-1": _both(_n("interfaces.unused_disabled",
                           "Are all unused network and logical interfaces disabled? [15-Intf]")),
    _E + "5.6-2": _both(_n("interfaces.minimal_unauthenticated_disclosure",
                           "Do interfaces avoid disclosing security-relevant information before "
                           "authentication? [15-Intf]")),
    _E + "5.6-3": _decl(_n("interfaces.physical_exposure_minimised",
                           "Are physical interfaces exposed only where needed? [15-Intf]")),
    _E + "5.6-4": _both(_n("interfaces.debug_disabled_in_software",
                           "Is the physically accessible debug interface disabled in software? "
                           "[15-Intf]")),
    _E + "5.6-5": _both(_n("services.only_needed_services_enabled",
                           "Are only the software services needed for the intended use enabled? "
                           "[13-SoftServ]")),
    _E + "5.6-6": _decl(_n("services.code_minimisation",
                           "How is code kept to what the service needs? [16-CodeMin]")),
    _E + "5.6-7": _both(_n("services.least_privilege",
                           "How does software run with least privilege? [17-PrivlCtrl]")),
    _E + "5.6-8": _both(_n("services.memory_access_control",
                           "Which hardware-level memory access control is used? [18-AccCtrl]")),
    _E + "5.6-9": _both(_n("services.secure_development",
                           "Which secure development practices are followed? [19-SecDev]")),
    _E + "5.7-1": _both(_n("secure_boot.mechanism",
                           "Which secure boot mechanism verifies the software? [20-SecBoot]")),
    _E + "5.7-2": _decl(_n("secure_boot.tamper_response",
                           "What does the device do when it detects an unauthorised software "
                           "change? [20-SecBoot]")),
    _E + "5.8-1": _both(_n("personal_data.protected_in_transit",
                           "How is personal data protected between device and services? "
                           "[21-PersData, 11-ComMech]")),
    _E + "5.8-2": _both(_n("personal_data.sensitive_protected_in_transit",
                           "How is sensitive personal data protected between device and "
                           "services? [21-PersData, 11-ComMech]")),
    _E + "5.8-3": _decl(_n("external_sensors.documented_at",
                           "Where are all external sensing capabilities documented (URL)? "
                           "[22-ExtSens]")),
    _E + "5.9-1": _decl(_n("resilience.outage_resilience",
                           "How does the product stay resilient to network and power outages? "
                           "[23-ResMech]")),
    _E + "5.9-2": _decl(_n("resilience.local_operation",
                           "Does the device keep working locally without network and recover "
                           "cleanly after power loss? [23-ResMech]")),
    _E + "5.9-3": _decl(_n("communication.orderly_reconnection",
                           "Does the device (re)connect to networks in an orderly, stable way? "
                           "[11-ComMech]")),
    _E + "5.10-1": _decl(_n("telemetry.examined_for_anomalies",
                            "Is telemetry examined for security anomalies? [24-TelData]")),
    _E + "5.11-1": _decl(_n("data_deletion.device_erase",
                            "How does the user erase user data from the device? [25-DelFunc]")),
    _E + "5.11-2": _decl(_n("data_deletion.service_erase",
                            "How does the user remove personal data from associated services? "
                            "[25-DelFunc]")),
    _E + "5.11-3": _decl(_n("data_deletion.instructions_url",
                            "Where are the instructions for deleting personal data (URL)? "
                            "[25-DelFunc, 2-UserInfo]")),
    _E + "5.11-4": _decl(_n("data_deletion.confirmation",
                            "Does the user get clear confirmation that personal data was "
                            "deleted? [25-DelFunc]")),
    _E + "5.12-1": _decl(_n("user_information.minimal_setup_steps",
                            "Do installation and maintenance need minimal steps and follow "
                            "usable-security practice? [26-UserDec]")),
    _E + "5.12-2": _decl(_n("user_information.secure_setup_guide_url",
                            "Where is the guidance for setting the device up securely (URL)? "
                            "[2-UserInfo]")),
    _E + "5.12-3": _decl(_n("user_information.setup_check_guide_url",
                            "Where is the guidance for checking that the set-up is secure (URL)? "
                            "[2-UserInfo]")),
    _E + "5.13-1": _both(_n("input_validation.description",
                            "How is input validated on user interfaces, APIs and between "
                            "networks? [27-UserIntf, 28-ExtAPI, 29-InpVal]")),
    _E + "6-1": _decl(_n("personal_data.information_url",
                         "Where are consumers told what personal data is processed, by whom "
                         "and why (URL)? [21-PersData, 2-UserInfo]")),
    _E + "6-2": _decl(_n("personal_data.consent_obtained_validly",
                         "Is consent for processing personal data obtained validly? "
                         "[21-PersData]")),
    _E + "6-3": _decl(_n("personal_data.consent_withdrawal",
                         "How can consumers withdraw consent at any time? [21-PersData]")),
    _E + "6-4": _decl(_n("telemetry.personal_data_minimised",
                         "Is personal data in telemetry kept to the minimum needed? "
                         "[24-TelData]")),
    _E + "6-5": _decl(_n("telemetry.information_url",
                         "Where are consumers told what telemetry is collected and why (URL)? "
                         "[24-TelData]")),
    # ---- Xiaomi 2.0: the same facts where a Xiaomi item asks for them ----
    _X + "1.2.1": _both(_n("security_parameters.secure_storage",
                           "How is sensitive information encrypted in flash and other storage?")),
    _X + "1.4": _both(_n("secure_boot.mechanism",
                         "Which secure boot chain verifies bootloader, kernel and root file "
                         "system?")),
    _X + "1.8": _decl(_n("security_parameters.identity_tamper_resistance",
                         "How is the unique hardware identifier protected against tampering?")),
    _X + "2.1.1": _both(_n("updates.verifies_authenticity",
                           "Does the device verify a signature over each update package before "
                           "installing it?")),
    _X + "2.1.5": _decl(_n("vulnerability_disclosure.monitoring",
                           "How are third-party and open-source components inventoried and "
                           "watched for vulnerabilities?")),
    _X + "3.1.3": _both(_n("authentication.brute_force_protection",
                           "How is password guessing on login prevented?")),
    _X + "3.1.4": _both(_n("input_validation.description",
                           "How is input from user interfaces and APIs validated?")),
    _X + "5.6": _decl(_n("data_deletion.service_erase",
                         "How do users delete their personal data held in the cloud?")),
    _X + "5.7": _decl(_n("data_deletion.device_erase",
                         "Does a factory reset wipe all user data and settings?")),
    _X + "6.5": _decl(_n("telemetry.examined_for_anomalies",
                         "Are device logs collected and analysed for security anomalies?")),
    _X + "6.6": _decl(_n("user_information.secure_setup_guide_url",
                         "Where is the guidance for enabling the security features (URL)?")),
    # ---- Tencent Q/TX 001.1 ----
    _T + "5.1.1-3": _decl(_n("interfaces.physical_exposure_minimised",
                             "Does the enclosure avoid exposing unused or debug interfaces?")),
    _T + "5.1.5-3": _both(_n("updates.mechanism",
                             "How is the device (firmware and applications) updated remotely?")),
    _T + "5.1.5-4": _decl(_n("updates.security_update_process",
                             "How quickly are fixes for found vulnerabilities developed and "
                             "pushed?")),
    _T + "5.1.5-6": _both(_n("updates.verifies_authenticity",
                             "Does the device check the integrity (preferably an asymmetric "
                             "signature) of update packages?")),
    _T + "5.1.6-1": _both(_n("services.secure_development",
                             "Is code audited with static analysis and compiled with hardening "
                             "options?")),
}


def _derive_declaration_provisions() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for ref, needs in REQUIREMENT_NEEDS.items():
        for need in needs.declarations:
            index.setdefault(need.field, []).append(ref)
    index.setdefault("justifications", []).append(_E + "4-1")
    return {field: tuple(refs) for field, refs in index.items()}


DECLARATION_PROVISIONS: dict[str, tuple[str, ...]] = _derive_declaration_provisions()
"""Declaration field (dotted, under ``declarations``) → the ``catalog:id`` it evidences."""
