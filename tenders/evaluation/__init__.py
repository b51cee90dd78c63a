"""The arithmetic of the evaluation, free of the database and of HTTP.

Plain frozen dataclasses go in, plain results come out; services and selectors load the rows, call these
functions and store or show what they return. Amounts and scores come in as ``Decimal``; every figure is
computed exactly as a ``Fraction`` (10 × 1000 / 1200 is not a finite decimal, and two totals that are
equal must compare equal for the tie-break to apply); ``arithmetic.display`` rounds for display only.

- ``arithmetic``: exact conversion, the display rounding (2 decimals, half up), square roots for display.
- ``pricing``: price and delay scores (Nmax = 10, proportional or linear), weighted contributions and total.
- ``ranking``: the order by weighted total and the tie-break rule, saying which rule decided each tie.
- ``anomalies``: abnormally-low detection (a suspicion only), its figures, the unit-rate lines, and the
  validation of a tender's ``abnormally_low`` setting.
- ``panel``: evaluator and consensus score validation, the spread per bid × criterion, the fingerprint
  (canonical JSON and SHA-256) of a submitted sheet.
"""
