"""How well quote confidence ranks right attributions over wrong ones on PolNeAR.

A prediction is right when it matches a gold attribution (the scorer's content matching) and its
speaker mention matches the gold source; wrong otherwise (no match, or the wrong source). Prints
the ROC AUC of confidence for right against wrong, and precision at confidence thresholds.

Usage: python3 tests/eval/confidence.py --data ../shared/data/polnear/dev --pred PRED.jsonl
(PRED.jsonl from `target/release/quotedesk extract --jsonl`; the scorer's modules are imported from
../shared/eval, or from QUOTEDESK_EVAL).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.environ.get("QUOTEDESK_EVAL", os.path.join(os.path.dirname(__file__), "../../../shared/eval")))
import quotes_eval  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--pred", required=True)
    args = ap.parse_args()
    preds = {}
    with open(args.pred, encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            preds[str(p["id"])] = p
    scored = []  # (confidence, right)
    for d in quotes_eval.load(args.data):
        golds, plist = d.gold, d.predictions(preds.get(d.id))
        confidences = [q.get("confidence", 0.0) for q in (preds.get(d.id) or {}).get("quotes", [])]
        right = set()
        for gi, pi, _ in quotes_eval.match(golds, plist):
            g, p = golds[gi], plist[pi]
            if not g["source"] or quotes_eval.jaccard(g["source"], p["source"]) >= quotes_eval.THRESHOLD:
                right.add(pi)
        scored += [(confidences[pi] if pi < len(confidences) else 0.0, pi in right) for pi in range(len(plist))]
    pos = [c for c, r in scored if r]
    neg = [c for c, r in scored if not r]
    # AUC: the chance that a right prediction has higher confidence than a wrong one (ties half).
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    auc = wins / (len(pos) * len(neg)) if pos and neg else float("nan")
    print(f"predictions {len(scored)}  right {len(pos)}  wrong {len(neg)}  AUC {auc:.3f}")
    for t in sorted({round(c, 2) for c, _ in scored}):
        kept = [r for c, r in scored if c >= t]
        print(f"  confidence >= {t:.2f}: {len(kept):5d} predictions, precision {sum(kept) / len(kept):.3f}")


if __name__ == "__main__":
    main()
