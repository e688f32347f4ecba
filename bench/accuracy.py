"""Accuracy on the shared corpus (`make accuracy`): per product and overall, expected findings
found / missed, negative controls respected, findings no expectation covers (to review), and
reviewed precision TRUE / (TRUE + FALSE), also excluding ELF hardening.

TRUE = a finding matched by a `findings` entry, FALSE = a finding matched by a `must_not` entry;
uncovered findings are listed for review (and counted in the pessimistic figure, as if false).
Scores exactly as tests/test_accuracy_corpus.py does (tests/accuracy_harness.py).

Usage: bench/accuracy.py [--verbose] [--markdown] [product ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from accuracy_harness import (  # noqa: E402
    Score,
    describe,
    is_elf_hardening,
    load_products,
    precision,
    scan_product,
    scan_work_dir,
    score,
)

CORPUS = Path(os.environ.get("IOTBASELINE_CORPUS", ROOT.parent / "shared" / "firmware"))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _row(s: Score, seconds: float) -> list[str]:
    expected = len(s.found) + len(s.missed)
    true, false = len(s.true_findings), len(s.false_findings)
    true_x = sum(not is_elf_hardening(f) for f in s.true_findings)
    false_x = sum(not is_elf_hardening(f) for f in s.false_findings)
    controls = len(s.respected) + len({id(r) for r, _ in s.violated})
    violated = len({r.id for r, _ in s.violated})
    return [
        s.product,
        f"{len(s.found)}/{expected}",
        f"{len(s.pending_found)}/{len(s.pending_found) + len(s.pending_missed)}",
        f"{controls - violated}/{controls}",
        str(true + false + len(s.uncovered)),
        str(true), str(false), str(len(s.uncovered)),
        _pct(precision(true, false)),
        _pct(precision(true_x, false_x)),
        f"{seconds:.1f}",
    ]


HEADER = ["product", "expected found", "pending found", "controls respected", "findings", "true",
          "false", "uncovered", "precision", "precision excl. ELF", "scan s"]


def _print_table(rows: list[list[str]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "---|" * len(HEADER))
        for r in rows:
            print("| " + " | ".join(r) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADER)]
    for r in [HEADER, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def _details(s: Score) -> None:
    print(f"\n== {s.product} {('(' + s.note + ')') if s.note else ''}")
    for rule in s.missed:
        print(f"  MISSED   {rule.id}: {rule.check} {rule.needle or ''} ({rule.source})")
    for rule in s.pending_found:
        print(f"  PENDING BUT FOUND {rule.id} (pending: {rule.pending})")
    for rule, f in s.violated:
        print(f"  VIOLATED {rule.id}: {describe(f)}")
    for c, why in s.components_missed:
        print(f"  COMPONENT {c.name} {c.version}: {why}")
    for v, why in s.verdicts_missed:
        print(f"  VERDICT {v.requirement} {v.verdict}: {why}")
    for x in s.extraction_missed:
        print(f"  NOT EXTRACTED {x.path}")
    for f in s.uncovered:
        print(f"  REVIEW   {describe(f)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("products", nargs="*")
    parser.add_argument("--verbose", "-v", action="store_true", help="list missed, violated and uncovered")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"accuracy: {CORPUS} not found (set IOTBASELINE_CORPUS)")
    products = [p for p in load_products() if not args.products or p.name in args.products]
    work = scan_work_dir()
    rows: list[list[str]] = []
    scores: list[Score] = []
    total_seconds = 0.0
    try:
        for product in products:
            if not product.has_product_file:
                print(f"{product.name}: no product.yaml, not scanned", file=sys.stderr)
                continue
            scan = scan_product(product, CORPUS, work)
            s = score(product, scan)  # before the trees go: extraction expectations read them
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            scores.append(s)
            total_seconds += scan.seconds
            rows.append(_row(s, scan.seconds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    overall = Score(product="OVERALL")
    for s in scores:
        for name in ("found", "missed", "pending_found", "pending_missed", "violated", "respected",
                     "true_findings", "false_findings", "uncovered"):
            getattr(overall, name).extend(getattr(s, name))
    rows.append(_row(overall, total_seconds))
    _print_table(rows, args.markdown)
    if args.verbose:
        for s in scores:
            _details(s)


if __name__ == "__main__":
    main()
