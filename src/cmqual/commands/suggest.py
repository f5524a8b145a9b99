"""``cmqual suggest``: code suggestions learned from a coder's own coding, and their evaluation."""

from __future__ import annotations

import argparse
from pathlib import Path

from cmqual.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suggest",
        help="learn codes from a coder's codings and suggest them for uncoded segments",
        description="Train one classifier per code on a coder's human codings (a code needs "
                    "--min-positives coded segments) and store its suggestions for the "
                    "segments the coder has not coded, apart from human codings (origin "
                    "'suggestion'); review them in the coding widget. With --evaluate, "
                    "cross-validate instead and print precision, recall, F1 and kappa next "
                    "to the codebook's patterns and an NVivo-style profile, with a learning "
                    "curve. Nothing is stored then.",
    )
    p.add_argument("project", help="project folder")
    p.add_argument("--coder", required=True, help="the human coder to learn from")
    p.add_argument("--codes", help="comma-separated code references (default: every code "
                                   "the coder has used)")
    p.add_argument("--level", choices=["turn", "paragraph", "sentence"], default="turn")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="confidence from which a code is suggested (default 0.5)")
    p.add_argument("--min-positives", type=int, default=10,
                   help="coded segments a code needs before it is learned (default 10)")
    p.add_argument("--speakers", choices=["participants", "all"], default="participants",
                   help="leave interviewer segments out (default) or use every speaker's")
    p.add_argument("--no-patterns", dest="patterns", action="store_false",
                   help="do not use the codebooks' pattern hits as features")
    p.add_argument("--no-store", dest="store", action="store_false",
                   help="print the suggestions without storing them")
    p.add_argument("--evaluate", action="store_true",
                   help="cross-validate on the coder's codings instead of suggesting")
    p.add_argument("--folds", type=int, default=5,
                   help="folds of the cross-validation (default 5; fewer for rare codes)")
    p.add_argument("--no-learning-curve", dest="learning_curve", action="store_false",
                   help="with --evaluate: skip the learning curve (five times faster)")
    p.add_argument("--queue", type=int, metavar="N",
                   help="also list the N uncoded segments the models are least sure about "
                        "(code those next)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", metavar="DIR",
                   help="folder for the tables (suggestions.csv, models.csv; with --evaluate "
                        "evaluation.csv, learning_curve.csv and learning_curve.png/.svg)")
    p.set_defaults(func=run)


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [x.strip() for x in value.split(",") if x.strip()]


def run(args: argparse.Namespace) -> int:
    from cmqual.io.tables import write_table
    from cmqual.project import open_project
    from cmqual.suggest import evaluate, suggest

    if args.queue is not None and args.queue < 1:
        raise ConfigError("--queue must be 1 or more")
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise ConfigError(f"--out {args.out!r} is a file; give a folder")
    options = dict(codes=_split(args.codes), level=args.level,
                   min_positives=args.min_positives, speakers=args.speakers,
                   patterns=args.patterns, random_state=args.seed)
    with open_project(args.project) as project:
        if args.evaluate:
            result = evaluate(project, args.coder, k=args.folds, threshold=args.threshold,
                              learning_curve=args.learning_curve, **options)
            print(result)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                written = [write_table(result.table, out / "evaluation.csv")]
                if len(result.learning_curve):
                    from cmqual.plotting import new_figure, save_figure

                    written.append(write_table(result.learning_curve,
                                               out / "learning_curve.csv"))
                    fig = new_figure(6.4, 3.8)
                    result.plot(title=f"Learning curve of {args.coder}'s codes",
                                ax=fig.subplots())
                    written += save_figure(fig, out / "learning_curve")
                for path in written:
                    print(f"wrote {path}")
        else:
            result = suggest(project, args.coder, threshold=args.threshold,
                             store=args.store, **options)
            print(result)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                for name, table in (("suggestions", result.suggestions),
                                    ("models", result.models)):
                    print(f"wrote {write_table(table, out / f'{name}.csv')}")
        if args.queue:
            _print_queue(project, args, options)
    return 0


def _print_queue(project, args: argparse.Namespace, options: dict) -> None:
    from cmqual.suggest import uncertainty_queue

    ids = uncertainty_queue(project, args.coder, limit=args.queue, **options)
    if not ids:
        print("no uncertainty queue: no code has enough coded segments yet")
        return
    segments = project.corpus.segments.set_index("segment_id")
    print(f"code these next ({len(ids)} segment(s) the models are least sure about):")
    for sid in ids:
        seg = segments.loc[sid]
        text = " ".join(str(seg["text"]).split())
        text = text if len(text) <= 70 else text[:69] + "…"
        print(f"  {sid}  {seg['doc_id']} [{seg['start']}:{seg['end']}]  {text}")
