"""Learners' submissions as exported by an LMS: one folder or archive per learner.

Archives are unpacked with every member checked: an absolute path or ``..`` refuses the
archive; links and device files are skipped; sizes and counts are bounded; only Python files
are written out (all that is graded), so a virtualenv or a dataset zipped with the exercises
costs nothing. A learner's module for an exercise is found wherever the export put the
``NN_topic`` folder.
"""

from __future__ import annotations

import codecs
import itertools
import lzma
import os
import re
import shutil
import stat
import tarfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

from grader import messages
from grader.catalog import Exercise
from grader.records import NotAPlainFile, read_plain_file

ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")  # any case
MEMBER_LIMIT = 5 << 20  # bytes of one unpacked file
ARCHIVE_LIMIT = 50 << 20  # bytes unpacked from one archive
MODULE_LIMIT = 1 << 20  # bytes of one learner module: a bigger one is not graded
ENTRY_LIMIT = 100_000  # members read from one archive: a million empty files would take minutes
CENTRAL_LIMIT = 16 << 20  # bytes of a zip's member list, which zipfile reads whole into memory (~450 B a member)
DECLARED_LIMIT = 1 << 30  # bytes of all members of a tar, kept or skipped: a compressed stream is read through
HEADER_LIMIT = 64 << 10  # bytes of one GNU long-name or PAX header, which tarfile reads whole into memory
DEPTH_LIMIT = 32  # folders deep: a module is found within it, and deeper archive members are refused
NAME_LIMIT = 120  # characters of a learner id


class IntakeError(Exception):
    """A submission that cannot be read; the message is one line for the gradebook."""


@dataclass(frozen=True)
class Entry:
    learner: str  # the folder's or archive's name, without the archive suffix
    path: Path


def entries(folder: Path, leave_out: Path | None = None) -> list[Entry]:
    """One entry per learner, each with an id of its own; raises IntakeError for a missing or empty folder.

    The id is the folder's or archive's name without the archive suffix, as printable text;
    when two entries would share one (``ada/`` and ``ada.zip``, or ``Ada/`` and ``ada/``), the later
    keeps its whole name, or is numbered. ``leave_out`` (the grades' folder, when it is inside the
    class) is no learner.
    """
    if not folder.is_dir():
        raise IntakeError(f"{folder} is not a folder of submissions")
    found: list[Entry] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or _is(path, leave_out):
            continue
        name = path.name if path.is_dir() else _archive_name(path.name)
        if not (name and (path.is_dir() or path.is_file() or path.is_symlink())):
            continue
        taken = {_folded(e.learner) for e in found}
        learner = next(n for n in _ids(name, path.name) if _folded(n) not in taken)
        found.append(Entry(learner, path))
    if not found:
        raise IntakeError(f"{folder} holds no learner folders or archives (.zip, .tar.gz)")
    return found


def skipped(folder: Path, leave_out: Path | None = None) -> list[tuple[str, str]]:
    """What ``entries`` passes over in ``folder``, as (name, why) for the instructor to see: files
    that are not archives (an LMS's index or metadata file, a learner's .rar), what is not a file
    at all (a named pipe), and ``leave_out``."""
    try:
        entered = {e.path for e in entries(folder, leave_out)}
    except IntakeError:
        entered = set()
    kinds = f"not a folder or an archive ({', '.join(ARCHIVES)})"
    return [(p.name, "it is the --out folder" if _is(p, leave_out) else kinds)
            for p in sorted(folder.iterdir()) if not p.name.startswith(".") and p not in entered]


def _is(path: Path, other: Path | None) -> bool:
    return other is not None and path.resolve() == other.resolve()


def _archive_name(file_name: str) -> str | None:
    """``ada`` for ``ada.zip``, ``ada.TAR.GZ`` and the like; None for a file that is no archive."""
    lower = file_name.lower()
    return next((file_name[: -len(s)] for s in ARCHIVES if lower.endswith(s) and len(file_name) > len(s)), None)


def _folded(learner: str) -> str:
    """What two ids must differ in: not only case (``Ada`` and ``ada`` share a file on macOS and
    Windows) or Unicode composition (``café`` written two ways looks the same everywhere)."""
    return unicodedata.normalize("NFC", learner).casefold()


def _ids(name: str, whole: str):
    """Learner ids for an entry, best first: its name, its whole file name, then numbered."""
    def printable(text: str) -> str:
        return messages.printable(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), NAME_LIMIT)

    yield printable(name)
    yield printable(whole)
    for number in itertools.count(2):
        yield f"{printable(name)[: NAME_LIMIT - 8]} ({number})"


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise IntakeError(f"archive member {name!r} points outside the archive")
    if len(path.parts) > DEPTH_LIMIT:
        raise IntakeError(f"archive member {name[:60]!r}… is more than {DEPTH_LIMIT} folders deep")
    return path


def _counted(members):
    for number, member in enumerate(members):
        if number >= ENTRY_LIMIT:
            raise IntakeError(f"archive has more than {ENTRY_LIMIT:,} members; not graded")
        yield member


def _member_list_size(archive: Path) -> int:
    """The bytes of a zip's member list, from its end record, before zipfile reads the list:
    a 100 MB upload listing 2 million members took the grader to 907 MB."""
    with archive.open("rb") as file:
        end = zipfile._EndRecData(file)  # noqa: SLF001  the one reader of the end record, ZIP64 included
    if end is None:
        raise zipfile.BadZipFile("File is not a zip file")
    return end[zipfile._ECD_SIZE]  # noqa: SLF001


def _unzip(archive: Path, dest: Path, keep: tuple[str, ...] | None) -> None:
    total = 0
    if _member_list_size(archive) > CENTRAL_LIMIT:
        raise IntakeError(f"archive lists more than {CENTRAL_LIMIT >> 20} MiB of members; not graded")
    marks = []
    with zipfile.ZipFile(archive) as zipped:
        for member in _counted(zipped.infolist()):
            _safe_name(member.filename)
            kind = stat.S_IFMT(member.external_attr >> 16)
            special = kind and kind not in (stat.S_IFREG, stat.S_IFDIR)  # a link (a zipped .venv has them)
            if keep and (kind == stat.S_IFLNK and member.filename.endswith(keep) or _archive_name(member.filename)):
                marks.append(member.filename)
            if special or member.is_dir() or (keep and not member.filename.endswith(keep)):
                continue
            total += member.file_size
            if member.file_size > MEMBER_LIMIT or total > ARCHIVE_LIMIT:
                raise IntakeError(f"archive too large to grade (member {member.filename!r})")
            target = dest / _safe_name(member.filename)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as source, target.open("wb") as out:
                out.write(source.read(MEMBER_LIMIT + 1)[:MEMBER_LIMIT])
    _mark_links(dest, marks)


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar member whose long-name or PAX header is refused above HEADER_LIMIT bytes, before it is read
    (a 1 MB upload held two 512 MiB names and made the grader itself use 1.6 GB)."""

    def _proc_member(self, tarred):
        if self.type in _LONG_HEADERS and self.size > HEADER_LIMIT:
            raise IntakeError(f"archive has a member header of {self.size:,} bytes (more than {HEADER_LIMIT >> 10} KiB); not graded")
        return super()._proc_member(tarred)


_LONG_HEADERS = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)


def _mark_links(dest: Path, names: list[str]) -> None:
    """Leave a dangling link where a member is not written out (never followed, never read): a
    module archived as a link, or an archive inside the archive, is then named, not missing. Made
    after the files are written: a file of the same name in the archive is the one graded."""
    for name in names:
        target = dest / _safe_name(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() and not target.is_symlink():
                os.symlink("(a link in the archive: not followed)", target)
        except OSError:  # its folder is a file of the archive: nothing to name there
            continue


def _untar(archive: Path, dest: Path, keep: tuple[str, ...] | None) -> None:
    total, declared, wanted, marks = 0, 0, [], []
    with tarfile.open(archive, tarinfo=_BoundedTarInfo) as tarred:
        for member in _counted(tarred):
            _safe_name(member.name)
            if keep and member.isfile() and _archive_name(member.name):
                marks.append(member.name)
            if not (member.isfile() or member.isdir()):
                if (member.issym() or member.islnk()) and keep and member.name.endswith(keep):
                    marks.append(member.name)
                continue  # a link or device: never written out (a tarred .venv has links)
            declared += member.size  # counted before the stream is read through it
            if declared > DECLARED_LIMIT:
                raise IntakeError(f"archive unpacks to more than {DECLARED_LIMIT >> 30} GiB; not graded")
            if member.isdir() or (keep and not member.name.endswith(keep)):
                continue
            total += member.size
            if member.size > MEMBER_LIMIT or total > ARCHIVE_LIMIT:
                raise IntakeError(f"archive too large to grade (member {member.name!r})")
            wanted.append(member)
        tarred.extractall(dest, members=wanted, filter="data")
    _mark_links(dest, marks)


def unpack(entry: Entry, dest: Path, keep: tuple[str, ...] | None = (".py",)) -> Path:
    """The entry as a folder: itself, or its archive unpacked into ``dest`` (only the files whose
    names end with ``keep``, all of them with None)."""
    if entry.path.is_symlink():
        raise IntakeError(f"{entry.path.name} is a symbolic link; only real folders and archives are graded")
    if entry.path.is_dir():
        return entry.path
    if not entry.path.exists():
        raise IntakeError(f"{entry.path.name} was removed while the batch ran; not graded")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        (_unzip if entry.path.name.lower().endswith(".zip") else _untar)(entry.path, dest, keep)
    except IntakeError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, RuntimeError, NotImplementedError, UnicodeError,
            zlib.error, lzma.LZMAError) as error:  # RuntimeError: an encrypted zip; NotImplementedError: an unknown compression
        shutil.rmtree(dest, ignore_errors=True)
        said = str(error).replace(str(dest), "").replace(str(entry.path.parent), "")  # no scratch paths: a rerun says the same
        said = said.strip().splitlines()[0] if said.strip() else said  # tarfile lists every method it tried
        why = ("it is password-protected" if "encrypted" in said else "it is an empty file" if _empty(entry.path)
               else f"{type(error).__name__}: {said}")
        raise IntakeError(f"unreadable archive {entry.path.name}: {why}") from None
    return dest


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def modules_of(folder: Path, exercise: Exercise) -> list[Path]:
    """The learner's files for an exercise, the one graded first: every ``NN_topic/<module>.py``
    under ``folder``, those inside a folder called ``exercises`` (the kit's, not a ``backup/`` or
    a stray copy) first, then shallowest first, then by name."""
    found = [p for p in files_named(folder, exercise.filename) if p.parent.name == exercise.name]

    def order(path: Path) -> tuple[bool, int]:
        parts = path.relative_to(folder).parts
        return all(part.lower() != "exercises" for part in parts[:-2]), len(parts)

    return sorted(found, key=order)


def missing(folder: Path, exercise: Exercise) -> str:
    """The problem line of an exercise whose module is not in ``folder``: a link to it, or what
    was found instead."""
    links = links_of(folder, exercise)
    if links:
        return f"{links[0].relative_to(folder)} is a link, and links are never followed: submit the file itself"
    misses = near_misses(folder, exercise)
    return f"no {exercise.name}/{exercise.filename} in the submission" + (f" (found {', '.join(misses)})" if misses else "")


def near_misses(folder: Path, exercise: Exercise, limit: int = 3) -> list[str]:
    """What looks like the exercise's module but is not where it is graded from: its file in a
    folder named otherwise (``03_Gather/``, the top level), a package ``NN_topic/<module>/`` or a
    folder ``NN_topic/<module>.py/``, an ``NN_topic`` that is a file or a link, an archive inside
    the submission; relative paths, shallowest first."""
    found: list[str] = []
    try:
        for child in _walk(folder, depth=6):
            path = Path(child.path)
            where, in_place = path.relative_to(folder), path.parent.name == exercise.name
            if child.name == exercise.name and not child.is_dir(follow_symlinks=False):
                found.append(f"{where} ({'a link, never followed' if child.is_symlink() else 'a file, not a folder'})")
            elif child.is_dir(follow_symlinks=False):
                if in_place and child.name in (exercise.module, exercise.filename):
                    found.append(f"{where}/ ({'a package' if child.name == exercise.module else 'a folder'})")
            elif child.name == exercise.filename and not in_place:
                found.append(str(where))
            elif _archive_name(child.name):
                found.append(f"{where} (an archive inside the submission)")
            if len(found) >= limit:
                break
    except IntakeError:  # too many entries: what was found so far is the answer
        pass
    return found


def links_of(folder: Path, exercise: Exercise) -> list[Path]:
    """The links called ``NN_topic/<module>.py`` under ``folder`` (links are never graded)."""
    return [p for p in files_named(folder, exercise.filename, links=True) if p.parent.name == exercise.name]


def files_named(folder: Path, name: str, *, links: bool = False) -> Iterator[Path]:
    """The plain files (``links``: the links) called ``name`` under ``folder``, shallowest first."""
    for child in _walk(folder):
        if child.name == name and (child.is_symlink() if links else child.is_file(follow_symlinks=False)):
            yield Path(child.path)


def _walk(folder: Path, depth: int = DEPTH_LIMIT) -> Iterator[os.DirEntry]:
    """Every entry under ``folder``, shallowest first, then by name: at most ``depth`` folders
    down and ENTRY_LIMIT entries looked at (IntakeError past it), neither links nor hidden folders
    (.git, .venv: never where the work is) entered."""
    level, seen = [folder], 0
    for _ in range(depth):
        below = []
        for here in level:
            try:
                children = sorted(os.scandir(here), key=lambda e: e.name)
            except OSError:
                continue
            seen += len(children)
            if seen > ENTRY_LIMIT:
                raise IntakeError(f"the submission holds more than {ENTRY_LIMIT:,} files and folders; not graded")
            for child in children:
                if child.is_dir(follow_symlinks=False) and not child.name.startswith("."):
                    below.append(Path(child.path))
                yield child
        level = below


def read_module(path: Path) -> str:
    """The module's source as Python reads it (UTF-8, or the encoding its coding comment names,
    which then says utf-8: the grader writes sources back as UTF-8); IntakeError if it is too
    large, not text in its encoding, or no longer a plain file (swapped for a link, a named pipe
    or a device since it was found)."""
    try:
        data = read_plain_file(path, MODULE_LIMIT + 1)
    except OSError as error:
        raise IntakeError(f"{path.name} cannot be read ({error.strerror})") from None
    except NotAPlainFile:
        raise IntakeError(f"{path.name} is not a plain file; not graded") from None
    if len(data) > MODULE_LIMIT:
        raise IntakeError(f"{path.name} is larger than {MODULE_LIMIT >> 20} MiB; not graded")
    encoding = _declared_encoding(data, path.name)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        raise IntakeError(f"{path.name} is not {name} text ({error.reason} at byte {error.start})") from None
    return _as_utf8(text) if encoding != "utf-8" else text


CODING = re.compile(r"^([ \t\f]*#.*?coding[:=][ \t]*)([-\w.]+)", re.ASCII)  # PEP 263
COOKIE = re.compile(CODING.pattern.encode(), re.ASCII)
BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:#|\r|\n|$)")
FIRST_LINES = re.compile(r"([^\r\n]*(?:\r\n|\r|\n)?)([^\r\n]*(?:\r\n|\r|\n)?)")  # as the tokenizer ends lines
FIRST_LINES_BYTES = re.compile(FIRST_LINES.pattern.encode())
# Text codecs Python accepts for source that no learner writes in, and that are slow (punycode is
# quadratic: a minute for 1 MiB) or need text that is not ASCII-compatible: refused, with a line.
UNREAD_CODECS = {"punycode", "idna", "utf-7", "unicode-escape", "raw-unicode-escape", "undefined"}


def _declared_encoding(data: bytes, name: str) -> str:
    """The codec Python reads ``data`` with (PEP 263, as CPython's tokenizer does it: the coding
    comment is looked for in bytes, on line 1, or on line 2 after a blank or comment line 1);
    IntakeError for a codec that is unknown, not a text codec, or one the grader does not read."""
    bom = data.startswith(b"\xef\xbb\xbf")
    declared = None
    for line in FIRST_LINES_BYTES.match(data[3:] if bom else data).groups():
        found = COOKIE.match(line)
        if found:
            declared = found.group(2).decode("ascii")
            break
        if not BLANK_OR_COMMENT.match(line):
            break
    if declared is None:
        return "utf-8-sig" if bom else "utf-8"
    try:
        codec = codecs.lookup(declared)
    except LookupError:
        raise IntakeError(f"{name}: its coding comment names an unknown encoding: {declared}") from None
    if not codec._is_text_encoding:  # rot13, hex, base64: Python refuses them for source too
        raise IntakeError(f"{name}: its coding comment names {declared}, which is not a text encoding")
    if codec.name in UNREAD_CODECS or codec.name.startswith(("utf-16", "utf-32")):
        raise IntakeError(f"{name}: its coding comment names {declared}; save the file as UTF-8 to have it graded")
    if bom and codec.name != "utf-8":
        raise IntakeError(f"{name} starts with a UTF-8 byte order mark, but its coding comment names {declared}")
    return "utf-8-sig" if bom else codec.name


def _as_utf8(text: str) -> str:
    """``text`` with its coding comment (line 1 or 2) naming utf-8; lines keep their numbers."""
    text = text.removeprefix("\ufeff")
    head = FIRST_LINES.match(text)
    lines = [head.group(1), head.group(2)]
    for number, line in enumerate(lines):
        if CODING.match(line):
            lines[number] = CODING.sub(r"\1utf-8", line, count=1)
            break
    return "".join(lines) + text[head.end():]
