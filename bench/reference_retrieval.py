"""The DP-RDM reference code's retrieval path, re-created with numpy (no faiss here): a fresh `rand(N) < q` mask,
the masked rows gathered, one matrix-vector product, argpartition for the top-k. Called by bench/privacy.bench.ts
with the same store (a float32 .npy) and query, so the figures sit beside the studio's in one run.
Usage: python3 reference_retrieval.py STORE.npy QUERY.npy K Q[,Q…] REPEATS  -> one JSON line {"q": {"medianMs", "p95Ms"}}"""
import json, sys, time
import numpy as np


def main():
    store = np.load(sys.argv[1], mmap_mode=None)
    query = np.load(sys.argv[2]).astype(np.float32).reshape(-1)
    k = int(sys.argv[3])
    rates = [float(x) for x in sys.argv[4].split(",")]
    repeats = int(sys.argv[5])
    rng = np.random.default_rng()
    out = {}
    for q in rates:
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            idx = np.nonzero(rng.random(store.shape[0]) < q)[0]
            scores = store[idx] @ query
            top = idx[np.argpartition(-scores, min(k, len(scores) - 1))[:k]] if len(scores) > k else idx
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        out[str(q)] = {"medianMs": samples[len(samples) // 2], "p95Ms": samples[min(len(samples) - 1, int(0.95 * len(samples)))], "kept": int(len(top))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
