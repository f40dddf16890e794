"""Walking folders: which files under the given paths are read, in a deterministic order.

Folders are walked once each (symlinks only when asked), dot-names and tool folders are left
out, ``--include``/``--exclude`` globs select inside folders. Nothing here raises for a bad path.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .document import Skipped
from .formats import SUPPORTED_SUFFIXES, suffix_of
from .ignored import WalkAccount
from .reasons import oserror_reason, short
from .text import display

#: Folders never descended into unless ``include_hidden`` (dot-names are skipped anyway).
SKIPPED_DIR_NAMES: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "CVS",
        "__pycache__",
        "node_modules",
        ".venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".idea",
        ".vscode",
    }
)



def _pattern_variants(pattern: str) -> tuple[str, ...]:
    p = pattern.replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/")
    if p.endswith("/"):
        p += "**"
    variants = [p]
    if p.startswith("**/"):
        variants.append(p[3:])
    if "/**/" in p:
        variants.append(p.replace("/**/", "/"))
    return tuple(dict.fromkeys(v for v in variants if v))


def _compile_patterns(patterns: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(_pattern_variants(p) for p in patterns if p and p.strip())


def _matches(rel: str, name: str, patterns: tuple[tuple[str, ...], ...]) -> bool:
    for variants in patterns:
        for v in variants:
            if fnmatch.fnmatchcase(rel, v) or fnmatch.fnmatchcase(name, v):
                return True
    return False


def _dir_excluded(rel: str, name: str, exclude: tuple[tuple[str, ...], ...]) -> bool:
    return bool(exclude) and (_matches(rel, name, exclude) or _matches(rel + "/", name, exclude))


def _file_selected(
    rel: str,
    name: str,
    include: tuple[tuple[str, ...], ...],
    exclude: tuple[tuple[str, ...], ...],
) -> bool:
    if include and not _matches(rel, name, include):
        return False
    return not (exclude and _matches(rel, name, exclude))


def _hidden_or_tool_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIR_NAMES


def discover(
    paths: Sequence[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    include_hidden: bool = False,
    follow_symlinks: bool = False,
    text: Sequence[str] = (),
    account: WalkAccount | None = None,
) -> Iterator[tuple[Path, Path] | Skipped]:
    """Yield ``(file_path, root)`` for every supported file under ``paths`` (or a Skipped).

    * A folder is walked recursively in sorted (deterministic) order; ``root`` is that
      folder as given, so ``file_path.relative_to(root)`` is the document id.
    * A file given directly is yielded with its parent as root; with an unsupported suffix
      it is yielded as ``Skipped("unsupported type .xyz")`` (inside folders such files are
      skipped silently). Directly named files are taken as they are: never treated as
      hidden and not filtered by ``include``/``exclude`` (those select inside folders).
    * Dot-names and VCS/tool folders (:data:`SKIPPED_DIR_NAMES`) are skipped unless
      ``include_hidden``.
    * ``include`` / ``exclude`` are fnmatch globs tried against the POSIX path relative to
      the root *and* against the base name (``*`` also matches ``/``; ``**/x`` also matches
      ``x`` at the top; ``dir/`` means everything under ``dir``). ``exclude`` also prunes
      whole folders. A file must match some ``include`` pattern when any are given.
    * Symlinked folders are not followed unless ``follow_symlinks``; when they are, each
      real folder is walked once and a link back to an ancestor is reported as
      ``Skipped(..., "symlink loop")``. Symlinked files are read, except one that points at a file the same walk reaches under its own name (read once, as that).
    * A file reached twice (overlapping arguments, links) is yielded once.
    * A missing path yields ``Skipped(path, "no such file or directory")``; unreadable
      folders yield a Skipped with the reason. Nothing here raises for a bad path.
    * ``"-"`` (stdin) is the caller's business and is ignored here.
    * ``text`` globs (matched like ``include``) name files to read as plain text whatever their
      type; they are yielded and listed in ``account.text_files``.
    * With an ``account``, every file left out inside a folder is counted there (type not read,
      not selected, hidden): see :class:`~pgvsearch.sources.ignored.WalkAccount`.
    """
    inc = _compile_patterns(include)
    exc = _compile_patterns(exclude)
    selection = _Selection(inc, exc, _compile_patterns(text), account if account is not None else WalkAccount())
    seen_files: set[str] = set()
    visited_dirs: set[tuple[int, int]] = set()

    def first_time(p: Path) -> bool:
        try:
            key = os.path.realpath(p)
        except (OSError, ValueError):
            key = os.path.abspath(p)
        if key in seen_files:
            return False
        seen_files.add(key)
        return True

    for given in paths:
        if given == "-":
            continue
        top = Path(given)
        try:
            st = os.stat(top)
        except FileNotFoundError:
            if os.path.islink(top):
                yield Skipped(display(given), "broken symlink")
            else:
                yield Skipped(display(given), "no such file or directory")
            continue
        except OSError as e:
            yield Skipped(display(given), oserror_reason(e))
            continue
        except ValueError as e:  # e.g. embedded NUL in the argument
            yield Skipped(display(given), f"invalid path: {short(e)}")
            continue

        if stat.S_ISDIR(st.st_mode):
            yield from _walk(top, st, selection, include_hidden, follow_symlinks, visited_dirs, first_time)
            continue

        root = top.parent
        suffix = suffix_of(top.name)
        if selection.as_text(top.name, top.name, top):
            pass  # read as plain text, whatever its type
        elif suffix not in SUPPORTED_SUFFIXES:
            yield Skipped(display(given), f"unsupported type {suffix or '(no extension)'}")
            continue
        if not stat.S_ISREG(st.st_mode):
            yield Skipped(display(given), "not a regular file")
            continue
        if first_time(top):
            yield (top, root)


class _Selection:
    """Which files of a folder are read, as plain text or by their type; the rest is accounted for."""

    def __init__(self, inc: tuple[tuple[str, ...], ...], exc: tuple[tuple[str, ...], ...],
                 text: tuple[tuple[str, ...], ...], account: WalkAccount) -> None:
        self.inc, self.exc, self.text, self.account = inc, exc, text, account

    def as_text(self, rel: str, name: str, path: Path) -> bool:
        if self.text and _matches(rel, name, self.text):
            self.account.text_files.add(path)
            return True
        return False

    def take(self, rel: str, name: str, path: Path, entry: os.DirEntry[str] | None, is_file: bool) -> bool:
        """Whether a (non-hidden) file found in a folder is read; if not, it is accounted for."""
        if not _file_selected(rel, name, self.inc, self.exc):
            self.account.not_selected += 1
            return False
        suffix = suffix_of(name)
        if self.as_text(rel, name, path) or suffix in SUPPORTED_SUFFIXES:
            return True
        if is_file:
            self.account.ignore_type(display(str(path)), suffix, _size(entry))
        return False


def _size(entry: os.DirEntry[str] | None) -> int | None:
    try:
        return entry.stat(follow_symlinks=True).st_size if entry is not None else None
    except OSError:
        return None


def _walk(
    root: Path,
    root_stat: os.stat_result,
    selection: _Selection,
    include_hidden: bool,
    follow_symlinks: bool,
    visited_dirs: set[tuple[int, int]],
    first_time: Callable[[Path], bool],
) -> Iterator[tuple[Path, Path] | Skipped]:
    root_key = (root_stat.st_dev, root_stat.st_ino)
    if root_key in visited_dirs:
        return
    visited_dirs.add(root_key)

    # Iterative depth-first walk (no recursion limit on deep trees). Each frame holds the
    # folder's path, its path relative to root, the sorted entries still to visit, and the
    # (dev, inode) keys of the folder and its ancestors (for loop detection).
    stack: list[tuple[Path, str, Iterator[os.DirEntry[str]], frozenset[tuple[int, int]]]] = []

    def open_dir(d: Path, rel: str, ancestors: frozenset[tuple[int, int]]) -> Skipped | None:
        entries = _list_folder(d)
        if isinstance(entries, Skipped):
            return entries
        stack.append((d, rel, iter(entries), ancestors))
        return None

    real_root = os.path.realpath(root)
    problem = open_dir(root, "", frozenset({root_key}))
    if problem is not None:
        yield problem
        return

    while stack:
        d, rel_dir, entries, ancestors = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        name = entry.name
        rel = f"{rel_dir}/{name}" if rel_dir else name
        path = d / name
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=True)
            is_file = entry.is_file(follow_symlinks=True)
        except OSError as e:
            if suffix_of(name) in SUPPORTED_SUFFIXES:
                yield Skipped(display(str(path)), oserror_reason(e))
            continue

        if is_dir:
            if not include_hidden and _hidden_or_tool_dir(name):
                selection.account.hidden += 1
                continue
            if _dir_excluded(rel, name, selection.exc):
                selection.account.not_selected += 1
                continue
            if is_link and not follow_symlinks:
                continue
            key = _folder_key(entry, path, ancestors)
            if isinstance(key, Skipped):
                yield key
                continue
            if key in visited_dirs:  # the same folder reached another way: walk it once
                continue
            visited_dirs.add(key)
            problem = open_dir(path, rel, ancestors | {key})
            if problem is not None:
                yield problem
            continue

        if not include_hidden and name.startswith("."):
            selection.account.hidden += 1
            continue
        if not selection.take(rel, name, path, entry, is_file):
            continue
        if not is_file:
            yield _not_a_file(path, is_link)
            continue
        if is_link and _link_target_walked(path, real_root, selection.inc, selection.exc, include_hidden):
            continue  # the same file is read under its own name (one document, one doc_id)
        if first_time(path):
            yield (path, root)


def _link_target_walked(
    link: Path, real_root: str, inc: tuple[tuple[str, ...], ...], exc: tuple[tuple[str, ...], ...], include_hidden: bool
) -> bool:
    """Whether a symlinked file points at a file this walk reaches under its own name."""
    try:
        target = os.path.realpath(link)
    except (OSError, ValueError):
        return False
    if not target.startswith(real_root.rstrip(os.sep) + os.sep):
        return False
    rel = Path(os.path.relpath(target, real_root))
    if not include_hidden and any(part.startswith(".") or _hidden_or_tool_dir(part) for part in rel.parts):
        return False
    if any(_dir_excluded(Path(*rel.parts[: i + 1]).as_posix(), rel.parts[i], exc) for i in range(len(rel.parts) - 1)):
        return False
    return _file_selected(rel.as_posix(), rel.name, inc, exc)


def _list_folder(d: Path) -> list[os.DirEntry[str]] | Skipped:
    """A folder's entries in sorted (deterministic) order, or why it cannot be listed."""
    try:
        with os.scandir(d) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as e:
        if isinstance(e, FileNotFoundError):
            reason = "folder vanished during the run"
        elif isinstance(e, PermissionError):
            reason = "permission denied"
        else:
            reason = f"cannot list folder: {short(e)}"
        return Skipped(display(str(d)), reason)


def _folder_key(entry: os.DirEntry[str], path: Path, ancestors: frozenset[tuple[int, int]]) -> tuple[int, int] | Skipped:
    """A subfolder's (dev, inode) key, or why it is not walked (unreadable, a link to an ancestor)."""
    try:
        st = entry.stat(follow_symlinks=True)
    except OSError as e:
        return Skipped(display(str(path)), oserror_reason(e))
    key = (st.st_dev, st.st_ino)
    if key in ancestors:
        return Skipped(display(str(path)), "symlink loop")
    return key


def _not_a_file(path: Path, is_link: bool) -> Skipped:
    if is_link:
        # Dangling link, or a link loop (a -> b -> a).
        try:
            os.stat(path)
            reason = "not a regular file"
        except OSError as e:
            reason = "symlink loop" if e.errno == errno.ELOOP else "broken symlink"
        return Skipped(display(str(path)), reason)
    return Skipped(display(str(path)), "not a regular file")
