"""Static scan: blocking calls written inside ``async def`` bodies, with their lines.

The runtime guards see only the paths a check exercises and a held loop cannot
name its line; this scan names the line of every blocking call in async code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# Calls that block the thread, by the dotted name a learner writes.
BLOCKING = {
    "time.sleep",
    "requests.get", "requests.post", "requests.put", "requests.delete", "requests.head",
    "requests.patch", "requests.request", "requests.Session",
    "urllib.request.urlopen",
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen", "os.system",
    "socket.create_connection", "socket.getaddrinfo",
    "open", "input",
    "asyncio.run",
}


@dataclass(frozen=True)
class Finding:
    what: str
    line: int


class _Scanner(ast.NodeVisitor):
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> dotted origin
        self.async_depth = 0
        self.findings: list[Finding] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.aliases[alias.asname or top] = alias.name if alias.asname else top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.async_depth += 1
        self.generic_visit(node)
        self.async_depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        depth, self.async_depth = self.async_depth, 0  # a sync helper may be sent to a thread
        self.generic_visit(node)
        self.async_depth = depth

    visit_Lambda = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if self.async_depth:
            name = self._dotted(node.func)
            if name in BLOCKING:
                self.findings.append(Finding(name, node.lineno))
        self.generic_visit(node)

    def _dotted(self, node: ast.expr) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))


def blocking_calls(path: Path) -> list[Finding]:
    """Blocking calls inside async functions of ``path``; [] if it cannot be parsed."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    scanner = _Scanner()
    scanner.visit(tree)
    return scanner.findings
