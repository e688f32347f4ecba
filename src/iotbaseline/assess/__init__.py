"""assess stage: profile + declarations + findings + observations → verdicts.

Public entry points: ``load_profile`` / ``parse_profile`` (profile.py), ``assess`` and
``build_assessment`` (engine.py), ``DECLARATION_PROVISIONS`` (declarations.py).
"""
