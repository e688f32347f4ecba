"""Which declaration (profile field) evidences which requirements (filled in by the assessment
stage; used by `catalog coverage` and by the questions for the manufacturer)."""

DECLARATION_PROVISIONS: dict[str, tuple[str, ...]] = {}
