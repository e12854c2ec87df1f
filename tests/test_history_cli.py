"""`llmconsole history`: list, show, export, search, `last`, exit codes, pipes; in-process and as a process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import llmconsole
from llmconsole.core.chat.conversation import Conversation
from llmconsole.core.events import Usage
from llmconsole.core.store.history import HistoryStore, default_path
from llmconsole.history_cli import main

SRC = str(Path(llmconsole.__file__).resolve().parents[1])
RUN = "import sys; from llmconsole.history_cli import main; sys.exit(main(sys.argv[1:]))"
LINE = re.compile(r"^[0-9a-f]{8}  \d{4}-\d\d-\d\d \d\d:\d\d  (\S+)  (.+)$")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=env, timeout=60, input=stdin
    )


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def add(
    store: HistoryStore, prompt: str, reply: str, *, model: str = "gpt-test", status: str = "completed"
) -> Conversation:
    conv = Conversation()
    store.add_message(conv, conv.add_user(prompt))
    message = conv.add_assistant(model)
    message.text = reply
    message.status = status  # type: ignore[assignment]
    message.usage = Usage(input_tokens=12, output_tokens=34) if status == "completed" else None
    store.add_message(conv, message)
    return conv


@pytest.fixture
def three() -> list[Conversation]:
    """Three conversations, oldest first; the newest one's reply was cut off by a process that died."""
    with HistoryStore() as store:
        convs = [
            add(store, "first question about rust", "Rust answer."),
            add(store, "second question about go", "Go answer.", model="claude-x"),
            add(store, "third question: the kill", "Half of a rep", status="streaming"),
        ]
        store.db.execute("UPDATE messages SET writer_pid = ? WHERE id = ?", (dead_pid(), convs[2].messages[1].id))
    return convs


def test_empty_history_lists_nothing_and_creates_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "No saved conversations yet."
    assert not default_path().exists()
    assert main(["show", "last"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "llmconsole: There are no conversations yet.\n"


def test_list_newest_first(three: list[Conversation], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 3
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [line[:8] for line in lines] == [c.id[:8] for c in reversed(three)]
    assert [(m.group(1), m.group(2)) for m in matches if m] == [
        ("gpt-test", "third question: the kill"),
        ("claude-x", "second question about go"),
        ("gpt-test", "first question about rust"),
    ]
    assert main(["list"]) == 0
    assert capsys.readouterr().out == out
    assert main(["list", "-n", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == lines[:1]


def test_show_last_marks_the_interrupted_reply(three: list[Conversation], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "last"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        "# third question: the kill",
        "",
        "## You",
        "",
        "third question: the kill",
        "",
        "## Assistant (gpt-test)",
        "",
        "Half of a rep",
        "",
        "_(interrupted — partial reply)_",
    ]


def test_show_by_prefix_includes_usage(three: list[Conversation], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", three[0].id[:6]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# first question about rust\n")
    assert "Rust answer." in out
    assert "_Usage: 12 in · 34 out_" in out


@pytest.mark.parametrize("ref", ["nope", "ffffffff", "abc", "", "last'; --"])
def test_unknown_id_exits_2_with_one_line(
    three: list[Conversation], capsys: pytest.CaptureFixture[str], ref: str
) -> None:
    for argv in (["show", ref], ["export", ref, "-o", "x.md"]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith("llmconsole: ") and err.count("\n") == 1, err


def test_export_writes_and_refuses_to_overwrite(
    three: list[Conversation], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "talk.md"
    assert main(["export", "last", "-o", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"Exported conversation {three[2].id[:8]} to {target}\n"
    assert target.stat().st_mode & 0o777 == 0o600  # private, as the console's export and the history
    text = target.read_text(encoding="utf-8")
    assert "_(interrupted — partial reply)_" in text
    with HistoryStore() as store:
        assert text == store.export_markdown(three[2].id)
    # Refuse to overwrite...
    target.write_text("mine", encoding="utf-8")
    assert main(["export", "last", "-o", str(target)]) == 2  # a documented code (usage), not 1
    out, err = capsys.readouterr()
    assert "--force" in err and err.count("\n") == 1
    assert target.read_text(encoding="utf-8") == "mine"
    # ...unless told to.
    assert main(["export", three[0].id, "-o", str(target), "--force"]) == 0
    assert target.read_text(encoding="utf-8").startswith("# first question")
    capsys.readouterr()
    # An unwritable place: one line, exit 2.
    assert main(["export", "last", "-o", str(tmp_path / "missing" / "x.md")]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("llmconsole: cannot write") and err.count("\n") == 1


def test_search(three: list[Conversation], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "question"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [line[:8] for line in lines] == [c.id[:8] for c in reversed(three)]
    assert all("  user       " in line for line in lines)
    assert main(["search", "answ"]) == 0
    out, _ = capsys.readouterr()
    assert [line[:8] for line in out.splitlines()] == [three[1].id[:8], three[0].id[:8]]
    assert "  assistant  second question about go  —  Go answer." in out
    assert main(["search", '"NEAR(', "*"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == "No matches.\n"


def test_terminal_control_characters_are_stripped(capsys: pytest.CaptureFixture[str]) -> None:
    with HistoryStore() as store:
        add(store, "evil \x1b]0;pwned\x07 title", "reply with \x1b[2J clear and \x9b csi", model="m\x1b[31m")
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert main(["show", "last"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out
    assert "reply with [2J clear" in out


def test_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bogus"]) == 2
    assert "usage: llmconsole history" in capsys.readouterr().err
    assert main(["export", "last"]) == 2  # -o is required
    assert main(["--help"]) == 0
    assert "usage: llmconsole history" in capsys.readouterr().out


def test_a_broken_database_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    assert main([]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("llmconsole: ") and err.count("\n") == 1


# -- as a process ---------------------------------------------------------------------------------------------


def test_subprocess_list_show_and_unknown(three: list[Conversation]) -> None:
    listed = run()
    assert listed.returncode == 0 and listed.stderr == ""
    assert [line[:8] for line in listed.stdout.splitlines()] == [c.id[:8] for c in reversed(three)]
    shown = run("show", "last")
    assert shown.returncode == 0
    assert "_(interrupted — partial reply)_" in shown.stdout
    unknown = run("show", "deadbeefcafe")
    assert unknown.returncode == 2
    assert unknown.stdout == ""
    assert unknown.stderr == "llmconsole: No conversation 'deadbeefcafe'.\n"
    assert "Traceback" not in unknown.stderr


def test_subprocess_closed_pipe_ends_quietly() -> None:
    with HistoryStore() as store:
        add(store, "big", "line of a long reply\n" * 50_000)
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    with subprocess.Popen(
        [sys.executable, "-c", RUN, "show", "last"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(100).startswith(b"# big")
        proc.stdout.close()  # like `| head`
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 0
    assert err == b""


def test_show_prints_the_active_branch_tree_every_branch_and_export_json_the_whole_tree(tmp_path: Path) -> None:
    from llmconsole.core.chat.tree import cut_before

    with HistoryStore() as store:
        conv = add(store, "the question", "first answer")
        cut_before(conv, conv.messages[1])
        again = conv.add_assistant("other-model")
        again.text, again.status = "second answer", "completed"
        store.add_message(conv, again)
        cut_before(conv, conv.messages[0])
        edited = conv.add_user("an edited question")
        store.add_message(conv, edited)
        store.set_active_leaf(conv.id, again.id)
    show = run("show", conv.id[:8])
    assert show.returncode == 0
    assert "second answer" in show.stdout and "first answer" not in show.stdout and "edited" not in show.stdout
    tree = run("show", "last", "--tree")
    assert tree.returncode == 0, tree.stderr
    lines = tree.stdout.splitlines()
    heads = [line for line in lines if "**" in line and ("●" in line or "○" in line)]
    assert [h.split("**")[1] for h in heads] == ["You", "Assistant (gpt-test)", "Assistant (other-model)", "You"]
    assert heads[0].startswith("    ● ") and "‹1/2›" in heads[0]  # two root prompts: indented, marked
    assert heads[1].startswith("        ○ ") and "‹1/2›" in heads[1]
    assert heads[2].startswith("        ● ") and "‹2/2›" in heads[2]
    assert heads[3].startswith("    ○ ") and "‹2/2›" in heads[3]
    assert "        ○ **Assistant (gpt-test)**" in tree.stdout and "          first answer" in tree.stdout
    out = tmp_path / "tree.json"
    export = run("export", conv.id, "-o", str(out), "--json")
    assert export.returncode == 0, export.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["id"] == conv.id and data["active_leaf"] == again.id
    by_text = {m["text"]: m for m in data["messages"]}
    assert set(by_text) == {"the question", "first answer", "second answer", "an edited question"}
    assert (
        by_text["second answer"]["parent_id"] == by_text["the question"]["id"] == by_text["first answer"]["parent_id"]
    )
    assert by_text["an edited question"]["parent_id"] is None
    assert [m["active"] for m in data["messages"]] == [True, False, True, False]
    md = tmp_path / "tree.md"
    assert run("export", conv.id, "-o", str(md), "--tree").returncode == 0
    assert md.read_text(encoding="utf-8") == tree.stdout
