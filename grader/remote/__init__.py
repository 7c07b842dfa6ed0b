"""Judging apart: the learner's code runs in a process of its own, forked from a clean fork
server, and the check that judges it keeps its probes, its loop's clock and its records in the
pytest process, which no learner code runs in. A check suite opts in with
``pytestmark = pytest.mark.judged_apart``; its checks then get a ``RemoteLearner`` (``learner.py``)
with the kit's ``Learner`` API. ``judge.py`` runs one call or scenario, ``learner_side.py`` is the
learner's process, ``wire.py`` the frames between them, ``forkserver.py`` the server."""
