"""CPE 2.3 and package-url strings for components."""

from __future__ import annotations

import re

from packageurl import PackageURL

# CPE 2.3 formatted-string quoting (NISTIR 7695 §6.2): these must be backslash-escaped.
_CPE_SPECIAL = re.compile(r"([\\!\"#$%&'()*+,/:;<=>?@\[\]^`{|}~])")


def cpe_quote(value: str) -> str:
    return _CPE_SPECIAL.sub(r"\\\1", value.strip().replace(" ", "_"))


def make_cpe(vendor: str, product: str, version: str | None, part: str = "a") -> str:
    """``cpe:2.3:<part>:<vendor>:<product>:<version>:*:*:*:*:*:*:*`` (version ``*`` when unknown)."""
    ver = cpe_quote(version) if version else "*"
    return f"cpe:2.3:{part}:{cpe_quote(vendor)}:{cpe_quote(product)}:{ver}:*:*:*:*:*:*:*"


def make_purl(
    purl_type: str,
    name: str,
    version: str | None,
    *,
    namespace: str | None = None,
    qualifiers: dict[str, str] | None = None,
) -> str:
    return PackageURL(
        type=purl_type,
        namespace=namespace,
        name=name,
        version=version or None,
        qualifiers=qualifiers or None,
    ).to_string()


def component_ref(name: str, version: str | None) -> str:
    """Stable, unique-per-(name, version) reference used as bom-ref / SPDXID seed."""
    return make_purl("generic", name, version)
