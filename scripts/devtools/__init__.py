"""Development tools of fazhi, shared by the command scripts in ``scripts/`` and the tests.

* :mod:`devtools.corpus`: synthetic township reports with their ground truth
  (``scripts/make_corpus.py``).
* :mod:`devtools.bench`: the benchmark against SQLite FTS5 and grep
  (``scripts/bench.py``).
* :mod:`devtools.loadtest`: a bounded load test of ``fazhi serve`` on loopback
  (``scripts/loadtest.py``), with slow clients from :mod:`devtools.slowloris`
  and process measurements from :mod:`devtools.procstats`.
* :mod:`devtools.recall`: phrase recall on real files against an independent
  extractor (``scripts/measure_recall.py``).
* :mod:`devtools.pdfgen`: PDFs laid out like official documents, hostile or
  broken files, and other formats, for the tests and the corpus generator.

Not part of the installed package: the scripts in ``scripts/`` import it from
their own directory, and pytest finds it through ``pythonpath`` in
``pyproject.toml``.
"""

from pathlib import Path

#: the project checkout (the corpus, the gazetteer and the code being measured)
ROOT = Path(__file__).resolve().parents[2]
