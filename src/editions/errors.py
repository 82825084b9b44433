"""The project's own exceptions: every problem names a file and, where known, a line."""
from __future__ import annotations

from pathlib import Path


class EditionsError(Exception):
    """A content problem (bad manuscript, bad catalog): the CLI exits 1."""

    def __init__(self, path: Path | str | None, line: int | None, message: str):
        super().__init__(message)
        self.path = str(path) if path is not None else None
        self.line = line
        self.message = message

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.path, self.line, self.message))

    def __str__(self) -> str:
        where = self.path or "make-editions"
        if self.line:
            where = f"{where}:{self.line}"
        return f"{where}: error: {self.message}"


class UsageError(Exception):
    """The command line itself is wrong: the CLI exits 2."""


class Problems(EditionsError):
    """Several content problems of one file, reported together (each on its own line)."""

    def __init__(self, problems: list[EditionsError]):
        first = problems[0]
        super().__init__(first.path, first.line, first.message)
        self.problems = list(problems)

    def __reduce__(self):
        return (type(self), (self.problems,))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def each(exc: EditionsError) -> list[EditionsError]:
    """The single problems an error carries."""
    return list(exc.problems) if isinstance(exc, Problems) else [exc]
