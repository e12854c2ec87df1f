"""A command line split into words as a POSIX shell would, without running a shell (``api_key_command``).

What a shell does and this does too: quotes (``'…'`` literal; ``"…"`` where ``$`` still expands; ``\\`` escapes),
a ``~`` or ``~user`` that starts a word (unquoted, up to the first ``/``), ``$VAR`` and ``${VAR}`` outside single
quotes (an unset variable is empty), and field splitting of an unquoted expansion on blanks (a word left empty by
it is dropped; ``""`` stays an empty word). What it does not: globbing, ``$(…)`` and backticks (left as written),
``${VAR:-…}`` and other operators, ``$1``, ``$$``, ``$?`` (errors: only a shell gives them a meaning), pipes and
redirections (plain characters: there is no shell to run them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANKS = " \t\n"
_SPECIAL = "0123456789-$?#@*!"
"""After ``$``: positional and special parameters of a shell (an error here: there is no shell)."""
_DOUBLE_ESCAPES = '$`"\\\n'
"""What a backslash escapes inside double quotes (elsewhere there it stays a backslash)."""


class _Word:
    """One word in the making: its fields so far (an unquoted expansion can split it into several)."""

    def __init__(self) -> None:
        self.fields: list[str] = [""]
        self.kept: list[bool] = [False]  # a field with quotes in it stays even when empty
        self.started = False

    def add(self, text: str, *, quoted: bool = False) -> None:
        self.fields[-1] += text
        self.kept[-1] = self.kept[-1] or quoted
        self.started = True

    def add_split(self, value: str) -> None:
        """An unquoted expansion: its blanks separate fields."""
        self.started = True
        pieces = re.split(f"[{_BLANKS}]+", value)
        for index, piece in enumerate(pieces):
            if index:
                self.fields.append("")
                self.kept.append(False)
            self.fields[-1] += piece

    def words(self) -> list[str]:
        return [f for f, kept in zip(self.fields, self.kept, strict=True) if f or kept]


def _expand_tilde(prefix: str, environ: Mapping[str, str]) -> str:
    if prefix == "~":
        home = environ.get("HOME")
        return home if home else os.path.expanduser("~")
    return os.path.expanduser(prefix)  # ~user (unchanged when there is no such user)


def split_words(line: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The words of ``line`` (see the module docstring). :class:`ValueError` for an unclosed quote, ``$1``,
    ``$$`` and the other parameters only a shell has, ``${…}`` other than ``${NAME}``, or no word at all."""
    env = os.environ if environ is None else environ
    words: list[str] = []
    word = _Word()
    i, n = 0, len(line)

    def variable(at: int) -> tuple[str | None, int]:
        """The value of ``$NAME``/``${NAME}`` at ``at`` (the ``$``) and where it ends; None: a literal ``$``."""
        if line.startswith("${", at):
            close = line.find("}", at + 2)
            name = line[at + 2 : close] if close >= 0 else ""
            if close < 0 or not _NAME.fullmatch(name):  # a shell's "bad substitution", or an operator
                raise ValueError(f"only ${{NAME}} expands here, not {line[at : close + 1 if close >= 0 else n]}")
            return env.get(name, ""), close + 1
        match = _NAME.match(line, at + 1)
        if match is None:
            if line[at + 1 : at + 2] and line[at + 1] in _SPECIAL:
                raise ValueError(f"${line[at + 1]} means nothing without a shell")
            return None, at + 1
        return env.get(match.group(), ""), match.end()

    while i < n:
        ch = line[i]
        if ch in _BLANKS:
            if word.started:
                words += word.words()
                word = _Word()
            i += 1
        elif ch == "~" and not word.started:
            end = i + 1
            while end < n and line[end] not in _BLANKS + "/'\"\\$":
                end += 1
            if end < n and line[end] not in _BLANKS + "/":
                word.add("~")  # ~ followed by a quote or $: not a tilde prefix
                i += 1
            else:
                word.add(_expand_tilde(line[i:end], env))
                i = end
        elif ch == "\\":
            if i + 1 >= n:  # a trailing backslash stays, as in a shell
                word.add("\\")
                break
            if line[i + 1] != "\n":  # a backslash-newline joins lines
                word.add(line[i + 1], quoted=True)
            i += 2
        elif ch == "'":
            close = line.find("'", i + 1)
            if close < 0:
                raise ValueError("no closing quotation")
            word.add(line[i + 1 : close], quoted=True)
            i = close + 1
        elif ch == '"':
            i += 1
            word.add("", quoted=True)
            while True:
                if i >= n:
                    raise ValueError("no closing quotation")
                ch = line[i]
                if ch == '"':
                    i += 1
                    break
                if ch == "\\" and i + 1 < n and line[i + 1] in _DOUBLE_ESCAPES:
                    word.add("" if line[i + 1] == "\n" else line[i + 1], quoted=True)
                    i += 2
                elif ch == "$":
                    value, i = variable(i)
                    word.add("$" if value is None else value, quoted=True)
                else:
                    word.add(ch, quoted=True)
                    i += 1
        elif ch == "$":
            value, i = variable(i)
            if value is None:
                word.add("$")
            else:
                word.add_split(value)
        else:
            word.add(ch)
            i += 1
    if word.started:
        words += word.words()
    if not words:
        raise ValueError("the command is empty")
    return tuple(words)


class _EveryVariableSet(dict[str, str]):
    """An environment in which every variable is set (to ``x``): the syntax alone decides."""

    def get(self, key: str, default: object = None) -> str:
        return "x"


def check_syntax(line: str) -> None:
    """:class:`ValueError` when ``line`` cannot be split whatever the environment (an unclosed quote, ``$1``,
    no word at all); a line whose only words are variables passes (they may be set when it runs)."""
    split_words(line, _EveryVariableSet())
