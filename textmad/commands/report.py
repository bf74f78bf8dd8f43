"""`textmad report RUN [RUN ...]`: report.html, report.md and plots (textmad.report.report)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from textmad import rundir
from textmad.errors import UserError


def configure_report(p):
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories (runs/<name>)")
    p.add_argument("--out", metavar="DIR",
                   help="where to write (default: RUN/report for one run, REPORTS-<names> beside the first run otherwise)")
    p.add_argument("--prompts", type=int, default=5, metavar="N", help="prompts in the samples table (default 5)")
    p.add_argument("--words", type=int, default=60, metavar="N",
                   help="cut sample continuations after N words (default 60)")
    p.add_argument("--static", action="store_true",
                   help="leave out the interactive figures (and the ~5 MB of plotly.js they inline)")


def _kib(path: Path) -> str:
    return f"{path.stat().st_size / 1024:,.0f} KiB"


def main_report(args) -> int:
    if args.prompts < 1 or args.words < 1:
        raise UserError(f"--prompts = {args.prompts}, --words = {args.words}: both must be at least 1")
    from textmad.report.report import write_report
    from textmad.report.rundir import open_runs, shell_command

    if not args.static and importlib.util.find_spec("plotly") is None:
        raise UserError("the interactive figures need plotly, which is not installed: pip install 'textmad[report]' "
                        "(or pass --static to leave them out)")
    from textmad.report.sweep import is_sweep_dir, report_sweep_dir

    if len(args.runs) == 1 and is_sweep_dir(Path(args.runs[0])):
        # a sweep: mean curves with 95% bands over seeds, dose-response and threshold (report/sweep.py)
        print(f"wrote {report_sweep_dir(Path(args.runs[0]))['html']}")
        return 0
    runs = open_runs(args.runs)
    if args.out:
        out = Path(args.out)
    else:  # a default folder goes through the loop's boundary check: a symbolic link there is not followed out
        owner = runs[0].path if len(runs) == 1 else runs[0].path.parent
        out = (owner / rundir.REPORT_DIR if len(runs) == 1
               else owner / (f"{rundir.REPORT_DIR}-" + "+".join(r.path.name for r in runs)))
        for path in (out, out / rundir.PLOTS_DIR, out / rundir.REPORT_HTML, out / rundir.REPORT_MD):
            rundir.inside(owner, path)
    paths, note = write_report(runs, out, shell_command(sys.argv), args.prompts, args.words, not args.static)
    pngs = sorted((out / rundir.PLOTS_DIR).glob("*.png"))
    print(f"wrote {paths['html']} ({_kib(paths['html'])}, self-contained), {paths['md']} ({_kib(paths['md'])}) "
          f"and {len(pngs)} plots in {out / rundir.PLOTS_DIR} ({sum(p.stat().st_size for p in pngs) / 1024:,.0f} KiB)")
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 0
