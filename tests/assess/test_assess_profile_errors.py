"""Profile validation: every problem names file, line and field (lines counted by hand)."""

from __future__ import annotations

import pytest

from iotbaseline.assess.profile import (
    CATEGORIES,
    ProfileError,
    XiaomiFacts,
    load_profile,
    parse_profile,
    xiaomi_level_from_facts,
)
from iotbaseline.assess.template import render_template


def errors(text: str) -> list[str]:
    with pytest.raises(ProfileError) as info:
        parse_profile(text, "profile.yaml")
    return info.value.lines()


def test_wrong_type_deep_in_declarations_names_line_and_field() -> None:
    text = (
        "product:\n"                       # 1
        "  name: Cam\n"                    # 2
        "  category: camera\n"             # 3
        "declarations:\n"                  # 4
        "  support_period:\n"              # 5
        "    published_at: https://x.example/\n"  # 6
        "    end: soon\n"                  # 7
    )
    (line,) = errors(text)
    assert line.startswith("profile.yaml:7: declarations.support_period.end: ")


def test_unknown_key_and_bad_enum_each_reported() -> None:
    text = (
        "product:\n"                       # 1
        "  name: Cam\n"                    # 2
        "  category: toaster\n"            # 3
        "conditions:\n"                    # 4
        "  uses_password: true\n"          # 5  (typo)
    )
    lines = errors(text)
    assert any(x.startswith("profile.yaml:3: product.category: ") for x in lines)
    assert "profile.yaml:5: conditions.uses_password: unknown field" in lines


def test_missing_required_field() -> None:
    lines = errors("constrained_device: true\nproduct:\n  vendor: X\n")
    assert lines == ["profile.yaml:2: product.name: required field is missing"]


def test_boolean_condition_rejects_text() -> None:
    lines = errors("product: {name: x}\nconditions:\n  update_mechanism: maybe\n")
    assert lines[0].startswith("profile.yaml:3: conditions.update_mechanism: ")


@pytest.mark.parametrize(("body", "line", "field"), [
    ("conditions:\n  uses_passwords: false\n  preinstalled_passwords: true\n", 3,
     "conditions.uses_passwords"),
    ("conditions:\n  update_mechanism: false\n  updates_via_network: true\n", 3,
     "conditions.update_mechanism"),
    ("conditions:\n  software_updatable: false\n  update_mechanism: true\n", 3,
     "conditions.software_updatable"),
    (("conditions:\n  update_mechanism: false\ndeclarations:\n  updates:\n"
     "    mechanism: OTA over HTTPS\n"), 6, "declarations.updates.mechanism"),
    ("xiaomi:\n  level: L\n  personal_information: [location]\n", 3, "xiaomi.level"),
])
def test_impossible_combinations(body: str, line: int, field: str) -> None:
    lines = errors("product: {name: x}\n" + body)
    assert any(x.startswith(f"profile.yaml:{line}: {field}: ") for x in lines), lines


def test_category_contradiction() -> None:
    lines = errors("product: {name: x, category: lock}\nconditions:\n"
                   "  device_is_smart_lock: false\n")
    assert lines[0].startswith("profile.yaml:3: conditions.device_is_smart_lock: ")


def test_bad_yaml_empty_file_and_duplicate_key() -> None:
    assert errors("product:\n  name: [x\n")[0].startswith("profile.yaml:")
    assert errors("")[0] == "profile.yaml:1: top level must be a mapping, got empty"
    assert errors("product: {name: x}\nproduct: {name: y}\n")[0].startswith(
        "profile.yaml:2: product: duplicate key 'product'")
    assert errors("product:\n  name: x\ndeclarations:\n  support_period:\n    end: 2030-13-01\n"
                  ) == [("profile.yaml:5: declarations.support_period.end: invalid value "
                        "'2030-13-01': month must be in 1..12")]


def test_unsafe_yaml_tag_is_refused() -> None:
    lines = errors("product: !!python/object/apply:os.system ['true']\n")
    assert lines[0].startswith("profile.yaml:1")


def test_load_profile_names_the_file(tmp_path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("product:\n  name: x\n  colour: red\n", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value) == f"{path}:3: product.colour: unknown field"


@pytest.mark.parametrize("category", CATEGORIES)
def test_template_for_every_category_is_a_valid_profile(category: str) -> None:
    prof = parse_profile(render_template(category, 'Cam "2"'))
    assert prof.product.category == category
    assert prof.product.name == 'Cam "2"'
    if category == "lock":
        assert prof.conditions.device_is_smart_lock is True
        assert prof.conditions.user_authentication is True
    elif category != "other":
        assert prof.conditions.device_is_smart_lock is False
    if category != "lock":
        assert prof.conditions.uses_passwords is None  # no guessing


def test_xiaomi_appendix_a_level() -> None:
    f = XiaomiFacts
    assert xiaomi_level_from_facts(f(personal_information=["location"])) == "H"
    assert xiaomi_level_from_facts(f(integrity_impact="severe")) == "H"
    assert xiaomi_level_from_facts(f(personal_information=["basic"], integrity_impact="minor",
                                     availability_impact="limited")) == "M"
    assert xiaomi_level_from_facts(f(personal_information=[], integrity_impact="minor",
                                     availability_impact="minor")) == "L"
    assert xiaomi_level_from_facts(f(personal_information=["contact"],
                                     integrity_impact="minor")) is None
