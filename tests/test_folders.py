"""Folder drop: dropped files picked up once, validated, answered with a 997, filed; the
command in real processes, two at once on the same folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ercot_sim.counterparty.folders import FolderExchange, acknowledge
from ercot_sim.counterparty.inbound import read_messages
from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CR = "123456789"
CLI = [sys.executable, "-m", "ercot_sim"]


def _files(tmp: Path, n: int = 0) -> list[Path]:
    """X12 files a CR would drop (a run's files to ERCOT), at least ``n``."""
    out = tmp / "run"
    if not out.exists():
        run_scenario(load_scenario(ROOT / "scenarios" / "switch-standard.toml"), out)
    files = sorted(p for p in (out / "outbox").rglob("*.x12") if "_" in p.stem)
    assert len(files) >= n
    return files


def test_a_dropped_file_is_validated_answered_and_filed_once(tmp_path: Path) -> None:
    ex = FolderExchange(tmp_path / "edi")
    inbox = ex.folder(CR, "inbox")
    src = next(p for p in _files(tmp_path) if "ST*814" in p.read_text())
    shutil.copy(src, inbox / "a.x12")
    (inbox / "b.x12").write_text("hello, not x12")
    (inbox / ".c.x12").write_text("a partner's write in progress")
    (inbox / "d.x12.part").write_text("a partner's write in progress")
    got = {r.file: r for r in acknowledge(ex, CR)}
    assert got["a.x12"].state == "processed" and got["a.x12"].errors == 0
    assert got["b.x12"].state == "rejected" and "segment 1 (ISA)" in got["b.x12"].detail
    assert sorted(p.name for p in inbox.iterdir()) == [".c.x12", "d.x12.part"]
    assert (tmp_path / "edi" / CR / "processed" / "a.x12").read_bytes() == src.read_bytes()
    reason = (tmp_path / "edi" / CR / "rejected" / "b.x12.reason.txt").read_text()
    assert "not an X12 interchange" in reason and "ISA" in reason
    acks = list((tmp_path / "edi" / CR / "outbox").iterdir())
    assert [p.name for p in acks] == [got["a.x12"].detail]
    (ack,) = [i.message.payload for i in read_messages(acks[0])]
    sent = [i.control for i in read_messages(src)]
    assert [t.control for t in ack.transactions] == sent and ack.accepted == len(sent)  # type: ignore[union-attr]
    assert acknowledge(ex, CR) == []  # once
    shutil.copy(src, inbox / "a.x12")  # the same name again: filed beside, never over
    assert [r.state for r in acknowledge(ex, CR)] == ["processed"]
    assert sorted(p.name for p in (tmp_path / "edi" / CR / "processed").iterdir()) == ["a.x12", "a.x12.1"]


def test_a_crashed_pickups_claims_are_taken_first(tmp_path: Path) -> None:
    ex = FolderExchange(tmp_path / "edi")
    src = _files(tmp_path)[0]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = ex.folder(CR, "processing") / dead.stdout.strip()  # a claimer that is gone
    left.mkdir()
    shutil.copy(src, left / "left.x12")
    shutil.copy(src, ex.folder(CR, "inbox") / "new.x12")
    assert [r.file for r in acknowledge(ex, CR)] == ["left.x12", "new.x12"]


def test_two_pickups_at_once_take_each_file_once(tmp_path: Path) -> None:
    ex = FolderExchange(tmp_path / "edi")
    inbox = ex.folder(CR, "inbox")
    files = _files(tmp_path, 10)
    for i in range(60):
        shutil.copy(files[i % len(files)], inbox / f"f{i:03d}.x12")
    procs = [subprocess.Popen([*CLI, "folders", "ack", str(tmp_path / "edi"), "--partner", CR], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    lines = [ln for out, _ in outs for ln in out.splitlines()]
    assert sorted(ln.split(":")[0] for ln in lines) == [f"f{i:03d}.x12" for i in range(60)]
    assert len(list((tmp_path / "edi" / CR / "processed").iterdir())) == 60
    assert not list(inbox.iterdir())
    assert not [p for p in (tmp_path / "edi" / CR / "processing").rglob("*") if p.is_file()]


def test_the_command_says_what_it_rejected(tmp_path: Path) -> None:
    ex = FolderExchange(tmp_path / "edi")
    (ex.folder(CR, "inbox") / "junk.x12").write_text("junk")
    done = subprocess.run([*CLI, "folders", "ack", str(tmp_path / "edi"), "--partner", CR], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout.startswith("junk.x12: REJECTED: ")
    bad = subprocess.run([*CLI, "folders", "ack", str(tmp_path / "edi"), "--partner", "12"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "a DUNS is 9 or 13 digits" in bad.stderr


def test_four_processes_filing_one_name_lose_nothing(tmp_path: Path) -> None:
    """Filing is atomic against other processes: four filing 50 files of one name each keep 200."""
    script = (
        "import sys; from pathlib import Path; from ercot_sim.counterparty.folders import FolderExchange\n"
        "ex = FolderExchange(Path(sys.argv[1])); claim = ex.folder('123456789', 'processing') / sys.argv[2]\n"
        "claim.mkdir(parents=True, exist_ok=True)\n"
        "for i in range(50):\n"
        "    f = claim / 'a.x12'; f.write_text(sys.argv[2] + str(i)); ex.done('123456789', f)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "edi"), f"w{k}"], cwd=ROOT)
             for k in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    kept = list((tmp_path / "edi" / CR / "processed").iterdir())
    assert len(kept) == 200 and len({p.read_text() for p in kept}) == 200


def test_a_claim_whose_pid_now_names_another_process_is_taken_over(tmp_path: Path) -> None:
    """A claimer died and the system gave its pid to a process that started later (here: this
    very test process, with a start time that is not the claimer's): its claims are taken over;
    a live claimer's claims are not."""
    from ercot_sim.liveness import claimer_id

    ex = FolderExchange(tmp_path / "edi")
    src = _files(tmp_path)[0]
    reused = ex.folder(CR, "processing") / f"{os.getppid()}-1"  # a live pid, but not started at tick 1
    reused.mkdir()
    shutil.copy(src, reused / "orphan.x12")
    alive = ex.folder(CR, "processing") / claimer_id(os.getppid())  # the same pid, its real start time
    alive.mkdir()
    shutil.copy(src, alive / "busy.x12")
    assert [r.file for r in acknowledge(ex, CR)] == ["orphan.x12"]
    assert (alive / "busy.x12").exists()


def test_a_crash_after_the_997_and_before_filing_writes_no_second_997(tmp_path: Path) -> None:
    """The 997 is written, then the pickup dies before filing the file: the next pickup takes the
    claim over, finds the mark beside it, files it, and the outbox holds one 997."""
    ex = FolderExchange(tmp_path / "edi")
    src = next(p for p in _files(tmp_path) if "ST*814" in p.read_text())
    shutil.copy(src, ex.folder(CR, "inbox") / "a.x12")
    script = ("import os, sys; from pathlib import Path\n"
              "from ercot_sim.counterparty import folders\n"
              "folders.FolderExchange.done = lambda self, partner, path: os._exit(9)  # dies before filing\n"
              "folders.acknowledge(folders.FolderExchange(Path(sys.argv[1])), sys.argv[2])\n")
    died = subprocess.run([sys.executable, "-c", script, str(tmp_path / "edi"), CR], cwd=ROOT, capture_output=True)
    assert died.returncode == 9

    def answers() -> list[str]:
        return [p.name for p in ex.folder(CR, "outbox").iterdir()]

    assert len(answers()) == 1 and answers()[0].endswith(".997.x12")
    assert [r.state for r in acknowledge(ex, CR)] == ["processed"]
    assert len(answers()) == 1  # not a second one beside it (a.<digest>.997.x12.1)
    assert [p.name for p in ex.folder(CR, "processed").iterdir()] == ["a.x12"]
    assert not [p for p in ex.folder(CR, "processing").rglob("*") if p.is_file()]


def test_taken_over_claims_keep_their_own_answers(tmp_path: Path) -> None:
    """Two dead claimers each held an `a.x12` (different files), and the second had written its
    997 before it died: after the takeover, each file has exactly one 997, its own."""
    from edi.x12 import iter_transactions

    ex = FolderExchange(tmp_path / "edi")
    first, second = [p for p in _files(tmp_path) if "ST*814" in p.read_text()][:2]
    for claimer, src in (("1-1", first), ("2-1", second)):  # pids with start times no process has
        folder = ex.folder(CR, "processing") / claimer
        folder.mkdir()
        shutil.copy(src, folder / "a.x12")
    script = ("import os, sys; from pathlib import Path\n"
              "from ercot_sim.counterparty import folders\n"
              "ex = folders.FolderExchange(Path(sys.argv[1])); claim = Path(sys.argv[3])\n"
              "ex.answer_once(sys.argv[2], claim, 'a.' + sys.argv[4] + '.997.x12', b'early')\n")
    digest = hashlib.sha256(second.read_bytes()).hexdigest()[:12]
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "edi"), CR,
                    str(ex.folder(CR, "processing") / "2-1" / "a.x12"), digest], cwd=ROOT, check=True)
    assert [r.state for r in acknowledge(ex, CR)] == ["processed", "processed"]
    answers = sorted(p.name for p in ex.folder(CR, "outbox").iterdir())
    assert len(answers) == 2  # one each, none twice
    early = [p for p in ex.folder(CR, "outbox").iterdir() if p.read_bytes() == b"early"]
    assert [p.name for p in early] == [f"a.{digest}.997.x12"]  # the second file's, kept as it was written
    other = next(p for p in ex.folder(CR, "outbox").iterdir() if p not in early)
    assert other.name == f"a.{hashlib.sha256(first.read_bytes()).hexdigest()[:12]}.997.x12"  # the first file's
    assert [t.st01 for t in iter_transactions(other)] == ["997"]
