"""BG/BB maths: Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time
noncontractual setting", Marketing Science 29(6), 1086-1108 (FHS).

Parameters ``(alpha, beta, gamma, delta)``: at each of n discrete opportunities an alive
customer transacts with probability p ~ beta(alpha, beta); before each opportunity after the
first purchase an alive customer dies with probability theta ~ beta(gamma, delta). Rows are
(x, t_x, n): transactions, the opportunity of the last one (0 if none), opportunities.
Checked by tests/published/test_beta_geo_beta_binom.py, tests/oracle/test_beta_geo_beta_binom_*.py,
tests/unit/test_bgbb_math.py and tests/unit/test_discounted_closed_forms.py.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln, logsumexp

from clvkit.errors import DataError

#: finite-horizon discounted sums longer than this use the difference of two 2F1 closed forms.
_DIRECT_SUM_MAX = 2000
#: the DERT series gives up (NaN, a DataError upstream) after this many terms per row.
_SERIES_MAX_TERMS = 2_000_000
#: the likelihood holds (rows x opportunities) terms at once; beyond this many it refuses.
_MAX_CELLS = 50_000_000
#: purchase_pmf sums one term per opportunity of the horizon; beyond this many it refuses.
_PMF_MAX_PERIODS = 100_000


def _terms(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray,
           with_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Log of the likelihood's terms (FHS): column 0 is alive through n, column j+1
    died just before opportunity t_x+j+1 (j < n - t_x); invalid cells are -inf."""
    alpha, beta, gamma, delta = params
    width = int(np.max(n - t_x)) + 1 if len(x) else 1
    if len(x) * width > _MAX_CELLS:
        first = int(np.argmax(n - t_x))
        raise DataError(f"BG/BB: cannot evaluate the likelihood for {len(x)} distinct rows with up to {width - 1} "
                        f"opportunities after the last transaction (rows like frequency={x[first]:g}, "
                        f"recency={t_x[first]:g}, n_periods={n[first]:g}): more than {_MAX_CELLS:,} terms. "
                        "Use a coarser opportunity unit.")
    j = np.arange(width - 1, dtype=float)[None, :]
    m = t_x[:, None] + j                                  # opportunities survived
    valid = j < (n - t_x)[:, None]
    c_ab = betaln(alpha, beta)
    c_gd = betaln(gamma, delta)
    xc = x[:, None]
    logs = np.full((len(x), width), -np.inf)
    logs[:, 0] = betaln(alpha + x, beta + n - x) - c_ab + betaln(gamma, delta + n) - c_gd
    with np.errstate(invalid="ignore"):
        died = betaln(alpha + xc, beta + m - xc) - c_ab + betaln(gamma + 1.0, delta + m) - c_gd
    logs[:, 1:] = np.where(valid, died, -np.inf)
    if not with_grad:
        return logs, None
    grad = np.zeros((len(x), width, 4))
    psi_ab, psi_gd = digamma(alpha + beta), digamma(gamma + delta)
    ca, cb = digamma(alpha) - psi_ab, digamma(beta) - psi_ab
    cg, cd = digamma(gamma) - psi_gd, digamma(delta) - psi_gd
    grad[:, 0, 0] = digamma(alpha + x) - digamma(alpha + beta + n) - ca
    grad[:, 0, 1] = digamma(beta + n - x) - digamma(alpha + beta + n) - cb
    grad[:, 0, 2] = digamma(gamma) - digamma(gamma + delta + n) - cg
    grad[:, 0, 3] = digamma(delta + n) - digamma(gamma + delta + n) - cd
    mm = np.where(valid, m, xc)
    grad[:, 1:, 0] = digamma(alpha + xc) - digamma(alpha + beta + mm) - ca
    grad[:, 1:, 1] = digamma(beta + mm - xc) - digamma(alpha + beta + mm) - cb
    grad[:, 1:, 2] = digamma(gamma + 1.0) - digamma(gamma + delta + 1.0 + mm) - cg
    grad[:, 1:, 3] = digamma(delta + mm) - digamma(gamma + delta + 1.0 + mm) - cd
    return logs, grad


def loglik_and_grad(params: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                    n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood (FHS), as a log-sum-exp of its (at most n+1) beta
    function terms, and its gradient in (alpha, beta, gamma, delta) (digamma differences,
    weighted by each term's share of the likelihood)."""
    logs, grad = _terms(params, x, t_x, n, True)
    ll = logsumexp(logs, axis=1)
    share = np.exp(logs - ll[:, None])
    return ll, np.einsum("ij,ijk->ik", share, grad)


def loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood (FHS)."""
    return logsumexp(_terms(params, x, t_x, n, False)[0], axis=1)


def whole_periods(t: float | np.ndarray, name: str = "horizon") -> np.ndarray:
    """Horizons of the discrete-time model are counts of opportunities."""
    arr = np.asarray(t, dtype=float)
    if np.any(arr != np.round(arr)):
        raise DataError(f"{name} must be a whole number of transaction opportunities for the BG/BB, "
                        f"got {t!r}.")
    return arr


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray,
            ahead: float = 0.0) -> np.ndarray:
    """P(alive at opportunity n + ahead | x, t_x, n), FHS (``ahead = 1`` is their
    "alive in period n+1"; clvkit's ``p_alive`` uses ``ahead = 0``, alive at the last
    opportunity observed, like the continuous-time models)."""
    alpha, beta, gamma, delta = params
    top = (betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
           + betaln(gamma, delta + n + ahead) - betaln(gamma, delta))
    return np.exp(top - loglik(params, x, t_x, n))


def _survival_sum(gamma: float, delta: float, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``sum_{k=1}^{count} B(gamma, delta+start+k) / B(gamma, delta)``: expected opportunities
    alive among ``start+1 .. start+count``, by the telescoping closed form behind FHS eq. (13)::

        delta/(gamma-1) G(gamma+delta)/G(1+delta)
            [G(1+delta+start)/G(gamma+delta+start) - G(1+delta+start+count)/G(gamma+delta+start+count)]

    (when gamma is within 1e-6 of 1, where the closed form is 0/0: a direct sum up to 2,000 terms,
    beyond that the closed form at gamma = 1 +/- 1e-4 interpolated linearly, the function being smooth in
    gamma: error ~1e-8 relative with bounded work)."""
    start = np.asarray(start, dtype=float)
    count = np.broadcast_to(np.asarray(count, dtype=float), np.broadcast(start, count).shape)
    start = np.broadcast_to(start, count.shape)
    if abs(gamma - 1.0) < 1e-6 and np.max(count, initial=0) > _DIRECT_SUM_MAX:
        h = 1e-4
        below = _survival_sum(1.0 - h, delta, start, count)
        above = _survival_sum(1.0 + h, delta, start, count)
        return below + (gamma - (1.0 - h)) / (2.0 * h) * (above - below)
    if abs(gamma - 1.0) < 1e-6:
        out = np.zeros(count.shape)
        for k in range(1, int(np.max(count, initial=0)) + 1):
            out += np.where(k <= count, np.exp(betaln(gamma, delta + start + k) - betaln(gamma, delta)), 0.0)
        return out

    def g(m: np.ndarray) -> np.ndarray:
        return gammaln(1.0 + delta + m) - gammaln(gamma + delta + m)

    lead = np.log(delta) - np.log(abs(gamma - 1.0)) + gammaln(gamma + delta) - gammaln(1.0 + delta)
    return np.exp(lead + g(start)) * -np.expm1(g(start + count) - g(start)) / np.sign(gamma - 1.0)


#: the largest argument of exp that stays finite in float64
_LOG_MAX = float(np.log(np.finfo(float).max))


def expected_purchases(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray,
                       horizon: float) -> np.ndarray:
    """E[X(n, n+n*) | x, t_x, n]: expected transactions in the next ``horizon`` = n*
    opportunities, FHS eq. (13)::

        B(alpha+x+1, beta+n-x)/B(alpha, beta) sum_{k=1}^{n*} B(gamma, delta+n+k)/B(gamma, delta) / L
    """
    alpha, beta, gamma, delta = params
    h = float(whole_periods(horizon))
    lead = betaln(alpha + x + 1.0, beta + n - x) - betaln(alpha, beta) - loglik(params, x, t_x, n)
    total = np.broadcast_to(_survival_sum(gamma, delta, n, h), np.shape(lead))
    # product in log space: a huge lead times a sum of 0 (horizon 0) is 0, not inf * 0; a value
    # beyond float range is inf (the model's finiteness check then names the rows), not an overflow
    log_value = lead + np.log(np.where(total > 0, total, 1.0))
    return np.where(total > 0, np.where(log_value > _LOG_MAX, np.inf, np.exp(np.minimum(log_value, _LOG_MAX))), 0.0)


def expected_purchases_new(params: np.ndarray, horizon: np.ndarray) -> np.ndarray:
    """E[X(n)] over the first n opportunities after acquisition (FHS)::

        alpha/(alpha+beta) delta/(gamma-1) [1 - G(gamma+delta)/G(gamma+delta+n) G(1+delta+n)/G(1+delta)]
    """
    alpha, beta, gamma, delta = params
    n = whole_periods(horizon)
    return alpha / (alpha + beta) * _survival_sum(gamma, delta, np.zeros_like(n), n)


def purchase_pmf(params: np.ndarray, x: np.ndarray, horizon: float) -> np.ndarray:
    """P(X(n) = x) over the first n opportunities, FHS eq. (7)::

        C(n,x) B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n)/B(gamma,delta)
          + sum_{i=x}^{n-1} C(i,x) B(alpha+x, beta+i-x)/B(alpha,beta) B(gamma+1, delta+i)/B(gamma,delta)
    """
    alpha, beta, gamma, delta = params
    n = float(whole_periods(horizon))
    if n > _PMF_MAX_PERIODS:
        raise DataError(f"BG/BB purchase_pmf sums one term per opportunity; horizon={horizon!r} is more than "
                        f"{_PMF_MAX_PERIODS:,} opportunities. Use a coarser opportunity unit.")
    x = np.asarray(x, dtype=float)
    c_ab, c_gd = betaln(alpha, beta), betaln(gamma, delta)

    def log_choose(top: np.ndarray, k: np.ndarray) -> np.ndarray:
        return gammaln(top + 1.0) - gammaln(k + 1.0) - gammaln(top - k + 1.0)

    with np.errstate(invalid="ignore"):
        alive = np.where(x <= n, np.exp(log_choose(n, x) + betaln(alpha + x, beta + n - x) - c_ab
                                        + betaln(gamma, delta + n) - c_gd), 0.0)
    out = np.array(alive, dtype=float, ndmin=1).copy()
    xs = np.atleast_1d(x)
    for i in range(int(n)):
        ok = xs <= i
        with np.errstate(invalid="ignore"):
            term = np.exp(log_choose(float(i), xs) + betaln(alpha + xs, beta + i - xs) - c_ab
                          + betaln(gamma + 1.0, delta + i) - c_gd)
        out += np.where(ok, term, 0.0)
    return out if np.ndim(x) else out[0]


def hyp2f1_unit(b: np.ndarray, c: np.ndarray, v: float, chunk: int = 4096) -> np.ndarray:
    """Gauss's ``2F1(1, b; c; v)`` for ``c > b > 0`` and ``0 <= v < 1``, by its series.

    The terms ``prod_{j<k} (b+j)/(c+j) v`` are positive with ratio below v, so the sum is
    accumulated in chunks (log-space cumulative products) until the geometric bound on the
    rest, ``term v / (1 - v)``, is below 1e-17 of the sum. scipy's ``hyp2f1`` returns NaN here
    for large b with v near 1 (weekly discounting), hence this. A row not converged after
    :data:`_SERIES_MAX_TERMS` terms (v within ~2e-5 of 1), or with non-finite input, is NaN (a
    DataError upstream): the loop never runs unbounded.
    """
    b = np.atleast_1d(np.asarray(b, dtype=float))
    c = np.broadcast_to(np.asarray(c, dtype=float), b.shape)
    total = np.ones(b.shape)
    log_term = np.zeros(b.shape)
    if v <= 0.0:
        return total
    log_v = np.log(v)
    start = 0
    bad = ~(np.isfinite(b) & np.isfinite(c))
    active = ~bad
    b_safe, c_safe = np.where(active, b, 1.0), np.where(active, c, 2.0)
    while active.any() and start < _SERIES_MAX_TERMS:
        idx = np.flatnonzero(active)
        k = start + np.arange(chunk, dtype=float)[None, :]
        steps = np.log(b_safe[idx, None] + k) - np.log(c_safe[idx, None] + k) + log_v
        logs = log_term[idx, None] + np.cumsum(steps, axis=1)
        total[idx] = total[idx] + np.exp(logs).sum(axis=1)
        log_term[idx] = logs[:, -1]
        start += chunk
        active[idx] = ~(np.exp(log_term[idx]) * v / (1.0 - v) < 1e-17 * total[idx])
    return np.where(bad | active, np.nan, total)


def discounted_expected_purchases(params: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                                  n: np.ndarray, horizon: float, delta_rate: float) -> np.ndarray:
    """Discounted expected transactions at opportunities n+1 .. n+horizon, the one at n+k
    discounted by ``exp(-delta_rate k) = 1/(1+d)^k`` (d the per-period rate).

    ``horizon = inf`` is DERT of FHS (2010)::

        DERT = B(alpha+x+1, beta+n-x)/B(alpha,beta) B(gamma, delta+n+1)/(B(gamma,delta)(1+d))
               2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / L

    A finite horizon is the direct discounted sum (up to 2,000 opportunities; beyond, DERT at
    n minus the discounted DERT at n+horizon). The 2F1 is summed by :func:`hyp2f1_unit`.
    """
    alpha, beta, gamma, delta = params
    h = float(whole_periods(horizon)) if np.isfinite(horizon) else np.inf
    lead = np.exp(betaln(alpha + x + 1.0, beta + n - x) - betaln(alpha, beta) - loglik(params, x, t_x, n))
    if h <= _DIRECT_SUM_MAX:
        total = np.zeros(np.shape(x))
        for k in range(1, int(h) + 1):
            total += np.exp(betaln(gamma, delta + n + k) - betaln(gamma, delta) - delta_rate * k)
        return lead * total

    def tail(start: np.ndarray) -> np.ndarray:
        v = np.exp(-delta_rate)
        b = delta + start + 1.0
        return np.exp(betaln(gamma, b) - betaln(gamma, delta)) * v * hyp2f1_unit(b, gamma + b, v)

    total = tail(n)
    if np.isfinite(h):
        total = total - np.exp(-delta_rate * h) * tail(n + h)
    return lead * total
