"""Sequential pass of :func:`zeropark.ingest.counters.register_to_intervals` (private).

Walks the valid readings of one register once, keeping the last accepted value and a cleaned
cumulative curve; the rules are documented in ``register_to_intervals``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from zeropark.ingest._grid import NS_PER_HOUR, as_utc_index, bit, iso
from zeropark.issues import Issue, IssueCode, Severity

if TYPE_CHECKING:
    from zeropark.ingest.counters import Replacement


@dataclass(slots=True)
class Pass:
    """Mutable state of the sequential pass (private)."""

    t: list[int]
    cum: list[float]
    mask: list[int]
    unknown: list[bool]
    issues: list[Issue]
    subject: str

    def push(self, t: int, cum: float, mask: int = 0, unknown: bool = False) -> None:
        self.t.append(t)
        self.cum.append(cum)
        self.mask.append(mask)
        self.unknown.append(unknown)

    def issue(
        self, code: IssueCode, sev: Severity, msg: str, t0: int, t1: int, **data: object
    ) -> None:
        end = None if t1 == t0 else iso(t1)
        self.issues.append(Issue(code, sev, msg, self.subject, iso(t0), end, dict(data)))


def sequential(
    t: np.ndarray,
    v: np.ndarray,
    at_max: np.ndarray,
    *,
    rated: float | None,
    register_max: float | None,
    replacements: Sequence[Replacement],
    window: int,
    tol: float,
    pre_mask: np.ndarray,
    state: Pass,
) -> None:
    """Walk the valid readings once, appending accepted points to `state` (see module doc)."""

    def limit(dt: int) -> float:
        return math.inf if rated is None else rated * dt / NS_PER_HOUR * tol

    reps = sorted(replacements, key=lambda r: r.ts)
    rep_ns = [int(as_utc_index([r.ts], "replacement.ts").asi8[0]) for r in reps]
    n, r, i, pending = len(v), 0, 0, 0
    big = None if register_max is None else register_max + 1.0
    last: float | None = None
    t_last, c = 0, 0.0

    def replace(k: int) -> None:
        nonlocal last, t_last, c, pending
        rep, ts = reps[k], rep_ns[k]
        if last is None:
            state.issue(
                IssueCode.METER_REPLACEMENT,
                Severity.INFO,
                "meter replacement before the first reading: ignored",
                ts,
                ts,
            )
            return
        extra = max(rep.old_final - last, 0.0)
        c += extra
        if ts == t_last:
            state.cum[-1] = c
        else:
            state.push(ts, c, pending | bit(IssueCode.METER_REPLACEMENT))
        pending = 0
        state.issue(
            IssueCode.METER_REPLACEMENT,
            Severity.INFO,
            f"meter replaced: old register {last} -> {rep.old_final} ({extra} counted), "
            f"new register starts at {rep.new_initial}",
            t_last,
            ts,
            old_final=float(rep.old_final),
            new_initial=float(rep.new_initial),
            energy=extra,
        )
        last, t_last = rep.new_initial, ts

    while i < n:
        ti, vi = int(t[i]), float(v[i])
        pending |= int(pre_mask[i])
        while r < len(reps) and rep_ns[r] < ti:
            replace(r)
            r += 1
        stop = n if r >= len(reps) else int(np.searchsorted(t, rep_ns[r], side="right"))
        if last is None or at_max[i]:
            plausible = last is not None and (
                vi - last <= limit(ti - t_last)
                if rated is not None
                else big is not None and last >= 0.9 * big
            )
            if last is not None and plausible:
                pass  # an at-maximum value that fits: a normal reading
            elif at_max[i]:
                state.issue(
                    IssueCode.INVALID_READING,
                    Severity.ERROR,
                    f"sentinel value {vi} equal to register_max is implausible",
                    ti,
                    ti,
                    value=vi,
                )
                pending |= bit(IssueCode.INVALID_READING)
                i += 1
                continue
            else:
                state.push(ti, 0.0)
                last, t_last, i, pending = vi, ti, i + 1, 0
                continue
        d = vi - last
        lim = limit(ti - t_last)
        if d >= 0:
            if d > lim:
                j = i + 1
                if j < stop and v[j] >= vi and v[j] - vi <= limit(int(t[j]) - ti):
                    state.push(ti, c, pending | bit(IssueCode.COUNTER_JUMP), unknown=True)
                    state.issue(
                        IssueCode.COUNTER_JUMP,
                        Severity.WARNING,
                        f"register jumped {last} -> {vi}, confirmed by {v[j]}; energy unknown",
                        t_last,
                        ti,
                        before=last,
                        after=vi,
                    )
                    last, t_last, pending = vi, ti, 0
                else:
                    state.issue(
                        IssueCode.SPIKE,
                        Severity.WARNING,
                        f"reading {vi} implies {d} in the span (limit {lim}): rejected",
                        ti,
                        ti,
                        value=vi,
                        previous=last,
                        limit=lim,
                    )
                    pending |= bit(IssueCode.SPIKE)
            else:
                c += d
                state.push(ti, c, pending)
                last, t_last, pending = vi, ti, 0
            i += 1
            continue
        # d < 0: dropout (checked first: a true rollover cannot climb back to `last` within
        # a few readings), rollover, unconfirmed drop at the end, reset.
        ahead = range(i + 1, min(stop, i + 1 + window))
        ret = next((j for j in ahead if v[j] >= last and not at_max[j]), None)
        if ret is not None and v[ret] - last <= limit(int(t[ret]) - t_last):
            state.issue(
                IssueCode.COUNTER_DROPOUT,
                Severity.WARNING,
                f"register dropped to {v[i:ret].tolist()} and came back to {v[ret]}: "
                "low readings rejected",
                t_last,
                int(t[ret]),
                rejected=v[i:ret].tolist(),
            )
            pending |= bit(IssueCode.COUNTER_DROPOUT) | int(np.bitwise_or.reduce(pre_mask[i:ret]))
            i = ret
            continue
        if big is not None:
            dr = big - last + vi
            near_wrap = last >= 0.9 * big and vi <= 0.1 * big
            if (dr <= lim) if rated is not None else near_wrap:
                c += dr
                state.push(ti, c, pending | bit(IssueCode.COUNTER_ROLLOVER))
                state.issue(
                    IssueCode.COUNTER_ROLLOVER,
                    Severity.INFO,
                    f"register rolled over {last} -> {vi} ({dr} counted)",
                    t_last,
                    ti,
                    energy=dr,
                )
                last, t_last, pending, i = vi, ti, 0, i + 1
                continue
        if i == n - 1:
            state.issue(
                IssueCode.UNCONFIRMED_DROP,
                Severity.INFO,
                f"last reading {vi} below {last} and not confirmed: rejected",
                ti,
                ti,
                value=vi,
                previous=last,
            )
            break
        unknown = vi > lim
        c += 0.0 if unknown else vi
        state.push(ti, c, pending | bit(IssueCode.COUNTER_RESET), unknown=unknown)
        state.issue(
            IssueCode.COUNTER_RESET,
            Severity.WARNING,
            f"register reset {last} -> {vi}; counting from 0"
            + (" (energy of the span unknown)" if unknown else ""),
            t_last,
            ti,
            before=last,
            after=vi,
        )
        last, t_last, pending, i = vi, ti, 0, i + 1
    while r < len(reps):
        replace(r)
        r += 1
