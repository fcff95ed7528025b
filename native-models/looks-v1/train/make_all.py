"""Regenerate the looks-v1 model set: data -> demo folder -> encoder (two stages) -> judge -> decoder -> quality -> export -> golden.
Usage: python make_all.py [--decoder-minutes 195] [--threads 1]
The committed decoder came from two resumed runs (train/README.md: 108 min, then 85 min from those weights with
the final recipe); this script trains the final recipe in one run of the same total length.
Every step is deterministic by seed up to floating-point/threading nondeterminism of time-bounded training (runs are
bounded by wall-clock minutes, so the number of steps depends on the machine). Logs go to logs/."""
import argparse, os, subprocess, sys
from common import HERE, LOGS


def run(*cmd, log=None, env=None):
    print("+", " ".join(cmd), flush=True)
    with open(os.path.join(LOGS, log), "w") as out:
        subprocess.run([sys.executable, *cmd], cwd=HERE, check=True, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder-minutes", type=float, default=10)
    ap.add_argument("--judge-minutes", type=float, default=6)
    ap.add_argument("--decoder-minutes", type=float, default=195)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(LOGS, exist_ok=True)
    t = ["--threads", str(a.threads)]
    run("make_data.py", log="make_data.log")
    run("make_private.py", log="make_private.log")
    run("train_encoder.py", "--minutes", str(a.encoder_minutes), *t, "--out", "encoder_base.pt", log="encoder_base.log")
    run("train_encoder.py", "--init", "encoder_base.pt", "--hard", "0.5", "--lr", "7e-4", "--minutes", "6", "--seed", "11", *t, "--out", "encoder.pt", log="encoder_hardneg.log")
    run("train_judge.py", "--minutes", str(a.judge_minutes), *t, log="judge.log")
    run("train_decoder.py", "--minutes", str(a.decoder_minutes), *t, log="decoder.log")
    run("quality.py", "--per", "2", log="quality.log")  # before export: the manifest takes its influence thresholds
    run("export.py", "--verify", log="export.log")
    run("golden.py", log="golden.log")  # the TypeScript runtime's reference tensors, from the exported files


if __name__ == "__main__":
    main()
