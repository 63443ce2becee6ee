"""The HTML report in a real headless browser (Debian's chromium).

The page must load from file:// without errors, and the sequence diagram must be drawn: the
screenshot (decoded here with zlib and struct) shows the diagram's lanes, arrows and red
violation marks. CI installs chromium (.ci/run) and there a missing browser fails the test;
on a developer's machine without chromium the test is an expected failure that says how to
install it.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from ercot_sim.market.engine import run_scenario
from ercot_sim.report import write_report
from ercot_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]
# lane header fills of the diagram (svg.py _ROLE_FILL): CR and TDSP appear nowhere else
CR_FILL = (0xE3, 0xF2, 0xFD)
TDSP_FILL = (0xE8, 0xF5, 0xE9)


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        reason = ("chromium is not installed: the browser test needs Debian's chromium "
                  "(apt-get install -y chromium; .ci/run installs it)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.xfail(reason)
    return found


def _decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = bpp = 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    p = 0
    for _ in range(height):
        kind, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def _pixels(row: bytes, bpp: int) -> list[tuple[int, int, int]]:
    return [(row[i], row[i + 1], row[i + 2]) for i in range(0, len(row), bpp)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    run_scenario(load_scenario(ROOT / "scenarios" / "faults.toml"), out / "run")
    return write_report(out / "run", out / "report.html")


def _run(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_report_loads_without_errors(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    done = _run(browser, tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<svg" in dom and 'class="seq"' in dom, "the sequence diagrams are in the loaded page"
    assert dom.count('class="seq"') == report.read_text("utf-8").count('class="seq"')
    assert "ercot-sim report: faults" in dom
    for marker in ("ERR_FILE_NOT_FOUND", "neterror", "This page isn", "parsererror"):
        assert marker not in dom, marker
    console_errors = [line for line in done.stderr.splitlines()
                      if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]
    assert not console_errors, console_errors


def test_diagram_is_drawn_in_the_screenshot(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    shot = tmp_path / "report.png"
    done = _run(browser, tmp_path, "--force-device-scale-factor=0.5", "--window-size=1200,3200",
                f"--screenshot={shot}", report.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    width, height, rows, bpp = _decode_png(shot.read_bytes())
    assert (width, height) == (600, 1600)
    header = [y for y, row in enumerate(rows) if TDSP_FILL in set(_pixels(row, bpp))]
    assert header, "the diagram's lane headers are not in the screenshot"
    top = header[0]
    assert any(CR_FILL in set(_pixels(rows[y], bpp)) for y in header), "no CR lane header"
    area = [px for row in rows[top:top + 300] for px in _pixels(row, bpp)]
    colours = set(area)
    ink = sum(1 for r, g, b in area if r + g + b < 400 and max(r, g, b) - min(r, g, b) < 40)
    red = sum(1 for r, g, b in area if r > 150 and g < 90 and b < 90)
    green = sum(1 for r, g, b in area if g > r + 40 and g > b + 20 and g < 200)
    non_white = sum(1 for px in area if px != (255, 255, 255))
    assert len(colours) >= 20, f"the diagram area has only {len(colours)} colours"
    assert non_white > 0.03 * len(area), "the diagram area is nearly blank"
    assert ink > 150, f"no arrows or labels drawn ({ink} dark grey pixels)"
    assert red > 30, "the violations are not marked red"
    assert green > 30, "no deadline bars drawn"
