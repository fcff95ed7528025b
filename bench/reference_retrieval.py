"""The DP-RDM reference code's retrieval path, re-created with its own libraries: a fresh `rand(N) < q` mask, then
faiss's exact inner-product index searched with an `IDSelectorBatch` of the masked ids ("dprdm", when faiss is
importable: pip install faiss-cpu); and the same mask with numpy (gather the masked rows, one matrix-vector product,
argpartition for the top-k). Called by bench/privacy.bench.ts with the same store (a float32 .npy) and query, so the
figures sit beside the studio's in one run; single-threaded (the caller sets OMP_NUM_THREADS=1).
Usage: python3 reference_retrieval.py STORE.npy QUERY.npy K Q[,Q…] REPEATS
  -> one JSON line {"numpy": {"q": {"medianMs", "p95Ms"}}, "dprdm": {…} or null}"""
import json, sys, time
import numpy as np

try:
    import faiss
except ImportError:
    faiss = None


def timed(fn, repeats):
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"medianMs": samples[len(samples) // 2], "p95Ms": samples[min(len(samples) - 1, int(0.95 * len(samples)))]}


def main():
    store = np.load(sys.argv[1], mmap_mode=None)
    query = np.load(sys.argv[2]).astype(np.float32).reshape(-1)
    k = int(sys.argv[3])
    rates = [float(x) for x in sys.argv[4].split(",")]
    repeats = int(sys.argv[5])
    rng = np.random.default_rng()
    n = store.shape[0]

    def numpy_path(q):
        idx = np.nonzero(rng.random(n) < q)[0]
        scores = store[idx] @ query
        return idx[np.argpartition(-scores, min(k, len(scores) - 1))[:k]] if len(scores) > k else idx

    out = {"numpy": {str(q): timed(lambda: numpy_path(q), repeats) for q in rates}, "dprdm": None}
    if faiss is not None:
        faiss.omp_set_num_threads(1)
        index = faiss.IndexFlatIP(store.shape[1])
        index.add(store)
        queries = query.reshape(1, -1)

        def dprdm_path(q):
            ids = np.nonzero(rng.random(n) < q)[0].astype(np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
            return index.search(queries, k, params=params)

        out["dprdm"] = {str(q): timed(lambda: dprdm_path(q), repeats) for q in rates}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
