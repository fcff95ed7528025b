"""Regenerate the whole shapes-v1 model set: data -> encoder -> judge -> decoder -> export -> golden -> quality.
Usage: python train/make_all.py [--decoder-minutes 85] [--encoder-minutes 12] [--judge-minutes 7]
Every step is deterministic by seed (up to floating-point/threading nondeterminism of time-bounded training:
training runs are bounded by wall-clock minutes, so the number of steps depends on the machine)."""
import argparse, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--encoder-minutes", type=float, default=12)
ap.add_argument("--judge-minutes", type=float, default=7)
ap.add_argument("--decoder-minutes", type=float, default=88)
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()


def run(*cmd, log=None):
    print("+", " ".join(cmd), flush=True)
    out = open(os.path.join(HERE, "logs", log), "w") if log else None
    subprocess.run([sys.executable, *cmd], cwd=HERE, check=True, stdout=out or None, stderr=subprocess.STDOUT if out else None)


os.makedirs(os.path.join(HERE, "logs"), exist_ok=True)
run("make_data.py", log="make_data.log")
run("make_private.py", log="make_private.log")
run("train_encoder.py", "--minutes", str(a.encoder_minutes), "--threads", str(a.threads), "--out", "encoder_base.pt",
    log="encoder_base.log")
# stage 2: hard negatives (colour-swapped / one-attribute-changed twins) so retrieval binds colours to roles
run("train_encoder.py", "--init", "encoder_base.pt", "--hard", "0.5", "--lr", "7e-4", "--minutes", "9", "--seed", "11",
    "--threads", str(a.threads), "--out", "encoder.pt", log="encoder_hardneg.log")
run("train_judge.py", "--minutes", str(a.judge_minutes), "--threads", str(a.threads), log="judge.log")
run("train_decoder.py", "--minutes", str(a.decoder_minutes), "--threads", str(a.threads), log="decoder.log")
run("export.py", log="export.log")
run("golden.py", log="golden.log")
run("quality.py", "--heldout_prompts", "50", "--threads", "2", log="quality.log")
