"""awaitlings: graded asyncio exercises and the harness that checks them.

Check files import what they need from the submodules (``grader.probes``,
``grader.expect``...); this package stays import-light so the pytest plugin
costs nothing when it is not used.
"""
