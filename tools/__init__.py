"""The workshop: benchmarks, seeders, sample and synthetic-document generators, model training.

Imported by ``cli/`` and ``tests/`` only; the running product (``cases/``, ``flows/``, ``web/``)
never imports it (``tests/test_layering.py`` says so).
"""
