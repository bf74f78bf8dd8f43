"""Interactive figures for the self-contained HTML report, drawn by plotly (zoom, hover values, a
log/linear toggle, a metric menu); plotly.js is inlined once so the page works offline.

The browser draws these, so their labels (the lost words) are shaped like the page's text, Bengali
included, in the page's embedded font.
"""
from __future__ import annotations

from textmad.report.lost import LostWords
from textmad.report.plots import arm_colors, gen0_divisor, own_scale, real_values, relative_to_gen0, series_label, unit
from textmad.report.rundir import Run, is_number

FONT = '"textmad Bengali", system-ui, sans-serif'
LINE_DASH = ["solid", "dash", "dot", "dashdot"]
CONFIG = {"displaylogo": False, "responsive": True}


def plotly_script() -> str:
    """plotly.js inline, once per page."""
    from plotly.offline import get_plotlyjs

    return f"<script>{get_plotlyjs()}</script>"


def _hex(rgb: tuple) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _scale_buttons(axis: str) -> dict:
    return {"type": "buttons", "direction": "right", "x": 0.3, "xanchor": "left", "y": 1.12, "yanchor": "bottom",
            "buttons": [{"label": "linear", "method": "relayout", "args": [{f"{axis}.type": "linear"}]},
                        {"label": "log", "method": "relayout", "args": [{f"{axis}.type": "log"}]}]}


def _html(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG)


def metrics_figure(runs: list[Run], metrics: list[str], div_id: str = "explore-metrics") -> str:
    """Every plotted metric against generation in one figure: a menu picks the metric, buttons switch
    the y axis between linear and log; the real text's value is a grey dotted line."""
    import plotly.graph_objects as go

    relative = relative_to_gen0(runs)
    colors = arm_colors(runs)
    reals = [real_values(run) for run in runs]
    fig = go.Figure()
    owners: list[str] = []
    for metric in metrics:
        for i, (run, real) in enumerate(zip(runs, reals)):
            series = run.series(metric)
            scale = gen0_divisor(series, metric, relative)
            if scale is None:
                continue
            for arm, points in series.items():
                xs, ys = zip(*points)
                fig.add_trace(go.Scatter(x=xs, y=[y / scale for y in ys], mode="lines+markers",
                                         name=series_label(run, arm, len(runs) > 1), legendgroup=arm,
                                         line={"color": _hex(colors.get(arm, (0, 0, 0))),
                                               "dash": LINE_DASH[i % len(LINE_DASH)]},
                                         hovertemplate=f"{metric}<br>generation %{{x}}: %{{y:.4g}}<extra>%{{fullData.name}}</extra>"))
                owners.append(metric)
            if is_number(real.get(metric)):
                gens = [k for points in series.values() for k, _ in points]
                fig.add_trace(go.Scatter(x=[min(gens), max(gens)], y=[real[metric] / scale] * 2, mode="lines",
                                         name="real text (held-out)" + (f", {run.label}" if len(runs) > 1 else ""),
                                         line={"color": "#595959", "dash": "dot"},
                                         hovertemplate=f"real text: %{{y:.4g}}<extra>{metric}</extra>"))
                owners.append(metric)
    if not owners:
        return ""
    shown = [m for m in metrics if m in owners]
    for trace, owner in zip(fig.data, owners):
        trace.visible = owner == shown[0]
    menu = {"type": "dropdown", "x": 0.0, "xanchor": "left", "y": 1.12, "yanchor": "bottom",
            "buttons": [{"label": m, "method": "update",
                         "args": [{"visible": [o == m for o in owners]}, {"yaxis.title.text": _ytitle(m, relative)}]}
                        for m in shown]}
    fig.update_layout(updatemenus=[menu, _scale_buttons("yaxis")], height=460, margin={"t": 70},
                      font={"family": FONT}, xaxis={"title": {"text": "generation"}, "dtick": 1},
                      yaxis={"title": {"text": _ytitle(shown[0], relative)}}, template="plotly_white")
    return _html(fig, div_id)


def _ytitle(metric: str, relative: bool) -> str:
    return f"{metric} ÷ own gen-000" if relative and own_scale(metric) else f"{metric} ({unit(metric)})"


def lost_figure(lost: LostWords, div_id: str, top: int = 40) -> str:
    """The lost words that generation 0 wrote most, as horizontal bars of how often it wrote them
    (hover: the count in the real pool)."""
    import plotly.graph_objects as go

    rows = lost.lost[:top][::-1]
    if not rows:
        return ""
    fig = go.Figure(go.Bar(x=[r[2] for r in rows], y=[r[0] for r in rows], orientation="h",
                           customdata=[r[1] for r in rows], marker={"color": "#1f77b4"},
                           hovertemplate="%{y}: gen-000 wrote it %{x} times; the real pool has it %{customdata} times"
                                         "<extra></extra>"))
    fig.update_layout(height=max(260, 22 * len(rows) + 120), margin={"l": 10, "t": 50},
                      font={"family": FONT, "size": 14}, template="plotly_white",
                      title={"text": f"arm {lost.arm}: tail words gen-000 wrote that gen-{lost.last:03d} no longer writes"},
                      xaxis={"title": {"text": "times generation 0 wrote it"}}, yaxis={"automargin": True, "dtick": 1})
    return _html(fig, div_id)
