"""The ``clvkit`` command line: argument parsing and printing only; the work is in the library."""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
import warnings
from collections.abc import Sequence

import pandas as pd

from clvkit.errors import (
    ClvkitError,
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    DataWarning,
    ModelFileError,
)

#: short names of the MLE models on the command line; their registry names work too.
ALIASES = {"bgnbd": "BetaGeo", "paretonbd": "ParetoNBD", "mbgnbd": "ModifiedBetaGeo",
           "bgbb": "BetaGeoBetaBinom", "gammagamma": "GammaGamma"}

UNIT_HELP = ("time unit of recency and T: D, W, M, Q or Y. Files written by clvkit record it (Parquet "
             "schema metadata; for CSV the sidecar <file>.clvkit.json next to it), so this is only a "
             "fallback and must agree with the file; without either clvkit stops and asks for it")
UNIT_WORDS = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}


def _fittable() -> dict[str, str]:
    """Every MLE purchase and spend model by its command-line name (alias or registry name)."""
    import clvkit  # noqa: F401  (registers the models)
    from clvkit._contract import MODELS

    names = {n: n for n, e in MODELS.items() if e.kind in ("purchase", "spend") and "." not in n}
    return {**{k: v for k, v in ALIASES.items() if v in names}, **{n.lower(): n for n in names}}


def _model_name(text: str) -> str:
    choices = _fittable()
    if text.lower() not in choices:
        raise argparse.ArgumentTypeError(f"unknown model {text!r}; choose from {', '.join(sorted(choices))}")
    return choices[text.lower()]


def _horizon(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"horizon must be a number of time units or inf, got {text!r}") from None
    return value


def _print_frame(title: str, frame: pd.DataFrame, floatfmt: str = "{:.4f}") -> None:
    print(f"\n## {title}\n")
    print(frame.to_string(float_format=lambda v: floatfmt.format(v)))


def _demo(args: argparse.Namespace) -> int:
    from clvkit.demo import run_demo

    margin_rate = _margin_rate(args)
    _check_out(args.out)
    result = run_demo(args.out, sample=args.sample, horizon=args.horizon, discount_rate=args.discount_rate,
                      margin_rate=margin_rate, progress=not args.quiet)
    prov = result.data.provenance
    print(f"clvkit demo: CDNOW {'1/10 sample' if args.sample else 'full log'}, "
          f"{len(result.data):,} customers, {int(prov.get('n_transactions', 0)):,} transactions "
          f"({int(prov.get('merged', 0)):,} merged into same-day purchases); weeks, calibration to 1997-09-30, "
          "holdout to 1998-06-30.")
    _print_frame("Parameters: published vs clvkit", result.parameters)
    _print_frame("Log-likelihoods", result.logliks, "{:.2f}")
    actual, predicted = result.holdout_actual, result.holdout_predicted
    print(f"\n## Holdout check (weeks 40-78): actual {actual:,.0f} repeat purchases, BG/NBD predicts "
          f"{predicted:,.1f} ({100 * (predicted / actual - 1):+.1f}%)\n")
    print("Mean holdout purchases by calibration frequency:")
    print(result.holdout.to_string(float_format=lambda v: f"{v:.3f}"))
    columns = [c for c in ("frequency", "recency", "T", "monetary_value", "expected_purchases", "p_alive",
                           "expected_spend", "clv") if c in result.scores.columns]
    top = result.scores.head(args.top)[columns]
    horizon = "lifetime" if args.horizon == float("inf") else f"{args.horizon:g}-week"
    _print_frame(f"Top {args.top} customers by {horizon} CLV "
                 f"(annual discount rate {args.discount_rate:.0%}, margin rate {margin_rate:g})", top, "{:.2f}")
    if result.out_path:
        print(f"\nWrote {len(result.scores):,} customers to {result.out_path}")
    return 0


def _margin_rate(args: argparse.Namespace) -> float:
    """``--margin-rate``, or the deprecated ``--margin`` (same share) with a FutureWarning."""
    from clvkit._contract import renamed

    if args.margin is not None:
        renamed("--margin", "--margin-rate (the same share of spend)", stacklevel=2)
        if args.margin_rate is not None and args.margin_rate != args.margin:
            raise ClvkitError("give --margin-rate only (--margin is its deprecated spelling).")
        return args.margin
    return 1.0 if args.margin_rate is None else args.margin_rate


def _summarize(args: argparse.Namespace) -> int:
    from clvkit.data.summarize import summarize
    from clvkit.tables import jsonable, read_table, write_table

    _check_out(args.out)
    tx = read_table(args.transactions, ids=args.customer)
    data = summarize(tx, customer=args.customer, date=args.date, amount=args.amount, unit=args.unit or "W",
                     grain=args.grain, end=args.end, calibration_end=args.calibration_end,
                     date_format=args.date_format)
    metadata = {"kind": "customer_summary", "unit": data.unit, "grain": data.grain, "end": data.end,
                "calibration_end": data.calibration_end, "provenance": data.provenance}
    write_table(data.frame, args.out, metadata=metadata)
    print(f"{data!r}\nprovenance: {jsonable(data.provenance)}\nWrote {args.out} (unit {data.unit!r} recorded "
          "in its clvkit metadata)")
    return 0


def _fit(args: argparse.Namespace) -> int:
    from clvkit._contract import MODELS
    from clvkit.data.customer_data import CustomerData
    from clvkit.io import check_output_path
    from clvkit.tables import read_summary, table_unit

    entry = MODELS[args.model]
    check_output_path(args.out)
    frame = read_summary(args.summary, args.customer)
    unit = table_unit(frame, args.unit, args.summary, required=entry.kind != "spend")
    frame.attrs.pop("clvkit", None)
    if entry.kind == "spend" and unit is None:
        data: object = frame  # spend has no time unit
    else:
        data = CustomerData.from_frame(frame, unit=unit)
    options = {}
    if entry.kind == "spend" and "exclude_nonpositive" in entry.cls().get_params():
        # as in compare: by default leave zero-spend repeat buyers out, with a warning that counts them
        options["exclude_nonpositive"] = args.exclude_nonpositive_spend is not False
    model = entry.cls(**options).fit(data)
    print(repr(model))
    if not getattr(model, "converged_", True):
        if not args.allow_unconverged:
            raise ConvergenceError(
                f"{args.model} did not converge on {args.summary} (see the warning above: the data may not "
                f"identify the model, e.g. too few repeat purchases); no model written to {args.out}. "
                "Pass --allow-unconverged to write it anyway.")
        print(f"warning: {args.model} did not converge; writing it because of --allow-unconverged "
              "(clvkit score refuses it unless given --allow-unconverged too).", file=sys.stderr)
    model.save(args.out)
    print(f"Wrote {args.out}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from clvkit.batch import score_file
    from clvkit.tables import check_table_path

    check_table_path(args.out)
    result = score_file(args.model, args.summary, args.out, args.horizon, spend=args.spend_model,
                        customer=args.customer, unit=args.unit, allow_unconverged=args.allow_unconverged,
                        discount_rate=args.discount_rate,
                        margin_rate=_margin_rate(args), interval=args.interval, n_draws=args.n_draws,
                        random_seed=args.random_seed, chunk_size=args.chunk_size, progress=not args.quiet)
    info = result.attrs["clvkit"]
    unit = UNIT_WORDS.get(info["unit"], info["unit"])
    over = "over the whole future" if info["horizon"] == "inf" else f"over {float(info['horizon']):g} {unit}"
    rates = f"annual discount rate {100 * float(info['discount_rate']):g}%"
    if "clv" in result.columns:
        print(f"Scored {len(result):,} customers {over}; total CLV {float(result['clv'].sum()):,.2f} "
              f"({rates}, margin rate {float(info['margin_rate']):g}). Wrote {args.out}")
    else:
        parts = []
        if "expected_purchases" in result.columns:
            parts.append(f"expected purchases {float(result['expected_purchases'].sum()):,.1f}")
        parts.append(f"discounted purchases {float(result['discounted_purchases'].sum()):,.1f} ({rates})")
        print(f"Scored {len(result):,} customers {over}: {', '.join(parts)}. No --spend-model given, so no "
              f"money column (no CLV): values are in purchases. Wrote {args.out}")
    return 0


def _check_out(path: str | None) -> None:
    from clvkit.tables import check_table_path

    if path is not None:
        check_table_path(path)


def _compare(args: argparse.Namespace) -> int:
    from clvkit.evaluate import compare
    from clvkit.tables import read_table, write_table

    _check_out(args.out)
    tx = read_table(args.transactions, ids=args.customer)
    report = compare(tx, customer=args.customer, date=args.date, amount=args.amount,
                     calibration_end=args.calibration_end, end=args.end, unit=args.unit or "W",
                     exclude_nonpositive_spend=args.exclude_nonpositive_spend)
    _print_frame("Holdout comparison", report.metrics)
    for note in report.notes:
        print(f"note: {note}")
    if args.out:
        write_table(report.metrics, args.out, metadata={"kind": "comparison_metrics", "unit": report.data.unit})
        print(f"\nWrote {args.out}")
    return 0


DESCRIPTION = """Probabilistic customer lifetime value.

Units travel with the files: `clvkit summarize` records the summary's time unit (and grain, end,
calibration end, provenance) in the output file -- in the Parquet schema metadata, and for a CSV in a
sidecar file `<file>.csv.clvkit.json` next to it (keep the two together when copying). `clvkit fit` and
`clvkit score` read it back; `--unit` is then only a fallback that must agree with the file, and a file
that records no unit needs `--unit`. `clvkit score` writes the settings it used (model file, horizon,
unit, discount rate, margin rate, spend) into its output the same way."""

#: exit status by class of failure, first match wins (the order matters: subclasses first).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConvergenceError, 4),
    (ConvergenceWarning, 4),  # raised under -W error
    (ModelFileError, 3),
    (OSError, 5),  # InputFileError, OutputError and raw OSErrors
    (DataError, 2),
    (ClvkitError, 2),
    (DataWarning, 2),  # raised under -W error
    (ValueError, 2),
)

EPILOG = """exit status:
  0    success
  1    unexpected internal error (a bug: a traceback is printed; please report it)
  2    bad input or usage: a data problem (column, rows, what to do) or a bad argument
  3    bad model file: not JSON/NetCDF, not written by clvkit, damaged or out of range
  4    fit not converged: `fit` writes no model and `score` refuses a model whose fit did not
       converge, unless --allow-unconverged
  5    I/O: input or model file missing, output path a directory / under a file / read-only, disk full
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM). Outputs are written atomically: a failure
       or a signal leaves an existing output untouched and no temporary file behind (after
       SIGKILL, the next write of the same output removes the dead writer's temporary file)

Every error other than 1 is one line: `clvkit <command>: error: <what and where>`."""



def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``clvkit`` command."""
    parser = argparse.ArgumentParser(prog="clvkit", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="fit BG/NBD + Gamma-Gamma on the built-in CDNOW log and write per-customer CLV")
    demo.add_argument("--out", default="cdnow_clv.csv", help="per-customer output (.csv or .parquet)")
    demo.add_argument("--sample", action="store_true", help="use the 2,357-customer sample")
    demo.add_argument("--top", type=int, default=10)
    _value_args(demo)
    demo.set_defaults(run=_demo)

    summ = sub.add_parser("summarize", help="transaction log -> per-customer summary (records its unit)")
    summ.add_argument("transactions")
    summ.add_argument("--out", required=True, help="summary file (.csv with a .clvkit.json sidecar, or .parquet)")
    _log_args(summ, unit_help="time unit of recency and T in the summary (default W: weeks); recorded in the file")
    summ.add_argument("--grain", default="D")
    summ.add_argument("--date-format", default=None)
    summ.set_defaults(run=_summarize)

    names = ", ".join(f"{k} ({v})" for k, v in ALIASES.items())
    fit = sub.add_parser("fit", help="summary -> fitted model (JSON)")
    fit.add_argument("summary")
    fit.add_argument("--model", type=_model_name, default="BetaGeo",
                     help=f"any MLE purchase or spend model: {names}, or its class name (default bgnbd)")
    fit.add_argument("--unit", default=None, help=UNIT_HELP + " (not needed for gammagamma)")
    fit.add_argument("--customer", default=None,
                     help="customer id column (default customer_id; a summary without one is numbered by row)")
    fit.add_argument("--out", required=True)
    fit.add_argument("--exclude-nonpositive-spend", action=argparse.BooleanOptionalAction, default=None,
                     help="gammagamma: leave repeat buyers whose mean spend is <= 0 out of the fit (default: leave "
                          "them out with a warning that counts them; --no-exclude-nonpositive-spend: error)")
    fit.add_argument("--allow-unconverged", action="store_true",
                     help="write the model even if the fit did not converge (otherwise exit 4, nothing written)")
    fit.set_defaults(run=_fit)

    sc = sub.add_parser("score", help="model + summary -> per-customer forecasts (and CLV with a spend model)")
    sc.add_argument("summary")
    sc.add_argument("--model", required=True, help="purchase model file (written by clvkit fit / model.save)")
    sc.add_argument("--spend-model", default=None,
                    help="spend model file (Gamma-Gamma). Without it the output has no money column: expected "
                         "purchases, P(alive) and discounted purchases only")
    sc.add_argument("--unit", default=None, help=UNIT_HELP + "; it must also be the model's unit")
    sc.add_argument("--customer", default=None, help="customer id column (default customer_id)")
    sc.add_argument("--out", required=True, help="scores (.csv with a .clvkit.json sidecar, or .parquet)")
    sc.add_argument("--chunk-size", type=int, default=250_000)
    sc.add_argument("--interval", type=float, default=None,
                    help="add <q>_lower/<q>_upper bounds at this coverage, e.g. 0.9")
    sc.add_argument("--n-draws", type=int, default=1000, help="parameter draws for --interval")
    sc.add_argument("--random-seed", type=int, default=None, help="seed of the draws (same seed, same bounds)")
    sc.add_argument("--allow-unconverged", action="store_true",
                    help="score with a model whose fit did not converge (otherwise exit 4); a result that is "
                         "not finite is still refused")
    _value_args(sc)
    sc.set_defaults(run=_score)

    cmp_ = sub.add_parser("compare", help="Dwyer models vs event forecasts on a calibration/holdout split")
    cmp_.add_argument("transactions")
    _log_args(cmp_, unit_help="time unit of the event models (default W: weeks)")
    cmp_.add_argument("--exclude-nonpositive-spend", action=argparse.BooleanOptionalAction, default=None,
                      help="leave repeat buyers whose mean spend is <= 0 out of the Gamma-Gamma fit (default: "
                           "leave them out with a warning that counts them; --no-exclude-nonpositive-spend: error)")
    cmp_.add_argument("--out", default=None)
    cmp_.set_defaults(run=_compare)
    return parser


def _log_args(p: argparse.ArgumentParser, unit_help: str) -> None:
    p.add_argument("--customer", default="customer_id")
    p.add_argument("--date", default="date")
    p.add_argument("--amount", default="amount")
    p.add_argument("--unit", default="W", help=unit_help)
    p.add_argument("--end", default=None)
    p.add_argument("--calibration-end", default=None)


def _value_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--horizon", type=_horizon, default=52.0,
                   help="in the data's unit (52 = a year in weeks; 364 in days); inf = the whole future")
    p.add_argument("--discount-rate", type=float, default=0.10, help="annual effective rate (0.10 = 10%%)")
    p.add_argument("--margin-rate", type=float, default=None, help="share of spend that is profit (default 1.0)")
    p.add_argument("--margin", type=float, default=None, help="deprecated spelling of --margin-rate")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _version() -> str:
    from clvkit import __version__

    return f"clvkit {__version__}"


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"{category.__name__}: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``clvkit`` command."""
    args = build_parser().parse_args(argv)
    warnings.formatwarning = _format_warning
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print(f"clvkit {args.command}: interrupted; no output was changed.", file=sys.stderr)
        return 128 + signal.SIGINT
    except Exception as exc:  # the boundary of the program: classify, say it in one line
        code = exit_code(exc)
        if code == 1:
            traceback.print_exc()
            print(f"clvkit {args.command}: internal error: {type(exc).__name__}: {_one_line(exc)}\n"
                  f"This is a bug in clvkit {_version().split()[-1]}; please report it to the clvkit "
                  "maintainers with the command line and the traceback above.", file=sys.stderr)
        else:
            print(f"clvkit {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return code


def exit_code(exc: BaseException) -> int:
    """The exit status for an exception (see ``clvkit --help``): 1 for anything unexpected."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
