"""The ``clvkit`` command line: argument parsing and printing only; the work is in the library."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

import pandas as pd

from clvkit.errors import ClvkitError

MODELS = {"bgnbd": "BetaGeo", "paretonbd": "ParetoNBD", "mbgnbd": "ModifiedBetaGeo",
          "bgbb": "BetaGeoBetaBinom", "gammagamma": "GammaGamma"}


def _print_frame(title: str, frame: pd.DataFrame, floatfmt: str = "{:.4f}") -> None:
    print(f"\n## {title}\n")
    print(frame.to_string(float_format=lambda v: floatfmt.format(v)))


def _demo(args: argparse.Namespace) -> int:
    from clvkit.demo import run_demo

    result = run_demo(args.out, sample=args.sample, horizon=args.horizon, discount_rate=args.discount_rate,
                      margin=args.margin, progress=not args.quiet)
    prov = result.data.provenance
    print(f"clvkit demo: CDNOW {'1/10 sample' if args.sample else 'full log'}, "
          f"{len(result.data):,} customers, {prov.get('n_transactions', '?'):,} transactions "
          f"({prov.get('merged', 0):,} merged into same-day purchases); weeks, calibration to 1997-09-30, "
          "holdout to 1998-06-30.")
    _print_frame("Parameters: published vs clvkit", result.parameters)
    _print_frame("Log-likelihoods", result.logliks, "{:.2f}")
    actual, predicted = result.holdout_actual, result.holdout_predicted
    print(f"\n## Holdout check (weeks 40-78): actual {actual:,.0f} repeat purchases, BG/NBD predicts "
          f"{predicted:,.1f} ({100 * (predicted / actual - 1):+.1f}%)\n")
    print("Mean holdout purchases by calibration frequency:")
    print(result.holdout.to_string(float_format=lambda v: f"{v:.3f}"))
    top = result.scores.head(args.top)[["frequency", "recency", "T", "monetary_value", "expected_purchases",
                                        "p_alive", "expected_spend", "clv"]]
    _print_frame(f"Top {args.top} customers by {args.horizon:g}-week CLV "
                 f"(annual discount {args.discount_rate:.0%}, margin {args.margin:g})", top, "{:.2f}")
    if result.out_path:
        print(f"\nWrote {len(result.scores):,} customers to {result.out_path}")
    return 0


def _summarize(args: argparse.Namespace) -> int:
    from clvkit.data.summarize import summarize
    from clvkit.tables import read_table, write_table

    tx = read_table(args.transactions)
    data = summarize(tx, customer=args.customer, date=args.date, amount=args.amount, unit=args.unit,
                     grain=args.grain, end=args.end, calibration_end=args.calibration_end,
                     date_format=args.date_format)
    write_table(data.frame, args.out)
    print(f"{data!r}\nprovenance: {data.provenance}\nWrote {args.out}")
    return 0


def _fit(args: argparse.Namespace) -> int:
    import clvkit as ck
    from clvkit.tables import read_table

    cls = getattr(ck, MODELS[args.model], None)
    if cls is None:
        raise ClvkitError(f"model {args.model!r} is not available in this clvkit build.")
    frame = read_table(args.summary, index_col=args.customer)
    model = cls().fit(ck.CustomerData.from_frame(frame, unit=args.unit))
    model.save(args.out)
    print(repr(model))
    print(f"Wrote {args.out}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from clvkit.batch import score_file

    result = score_file(args.model, args.summary, args.out, args.horizon, spend_model_path=args.spend_model,
                        customer=args.customer, discount_rate=args.discount_rate, margin=args.margin,
                        chunk_size=args.chunk_size, progress=not args.quiet)
    print(f"Scored {len(result):,} customers; total CLV {result['clv'].sum():,.2f}. Wrote {args.out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from clvkit.evaluate import compare
    from clvkit.tables import read_table, write_table

    tx = read_table(args.transactions)
    report = compare(tx, customer=args.customer, date=args.date, amount=args.amount,
                     calibration_end=args.calibration_end, end=args.end, unit=args.unit)
    _print_frame("Holdout comparison", report.metrics)
    if args.out:
        write_table(report.metrics, args.out)
        print(f"\nWrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``clvkit`` command."""
    parser = argparse.ArgumentParser(prog="clvkit", description="Probabilistic customer lifetime value.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="fit BG/NBD + Gamma-Gamma on the built-in CDNOW log and write per-customer CLV")
    demo.add_argument("--out", default="cdnow_clv.csv", help="per-customer output (.csv or .parquet)")
    demo.add_argument("--sample", action="store_true", help="use the 2,357-customer sample")
    demo.add_argument("--top", type=int, default=10)
    _value_args(demo)
    demo.set_defaults(run=_demo)

    summ = sub.add_parser("summarize", help="transaction log -> per-customer summary")
    summ.add_argument("transactions")
    summ.add_argument("--out", required=True)
    _log_args(summ)
    summ.add_argument("--grain", default="D")
    summ.add_argument("--date-format", default=None)
    summ.set_defaults(run=_summarize)

    fit = sub.add_parser("fit", help="summary -> fitted model (JSON)")
    fit.add_argument("summary")
    fit.add_argument("--model", choices=sorted(MODELS), default="bgnbd")
    fit.add_argument("--unit", default="W")
    fit.add_argument("--customer", default="customer_id")
    fit.add_argument("--out", required=True)
    fit.set_defaults(run=_fit)

    sc = sub.add_parser("score", help="model + summary -> per-customer forecasts and CLV")
    sc.add_argument("summary")
    sc.add_argument("--model", required=True, help="purchase model JSON")
    sc.add_argument("--spend-model", default=None, help="Gamma-Gamma JSON")
    sc.add_argument("--customer", default="customer_id")
    sc.add_argument("--out", required=True)
    sc.add_argument("--chunk-size", type=int, default=250_000)
    _value_args(sc)
    sc.set_defaults(run=_score)

    cmp_ = sub.add_parser("compare", help="Dwyer models vs event forecasts on a calibration/holdout split")
    cmp_.add_argument("transactions")
    _log_args(cmp_)
    cmp_.add_argument("--out", default=None)
    cmp_.set_defaults(run=_compare)
    return parser


def _log_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customer", default="customer_id")
    p.add_argument("--date", default="date")
    p.add_argument("--amount", default="amount")
    p.add_argument("--unit", default="W")
    p.add_argument("--end", default=None)
    p.add_argument("--calibration-end", default=None)


def _value_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--horizon", type=float, default=52.0, help="in the data's unit (weeks for CDNOW)")
    p.add_argument("--discount-rate", type=float, default=0.10, help="annual effective rate")
    p.add_argument("--margin", type=float, default=1.0)
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
    except (ClvkitError, ValueError, FileNotFoundError) as exc:
        print(f"clvkit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
