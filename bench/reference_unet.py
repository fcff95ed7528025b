"""The floor for the studio's UNet loop: Python onnxruntime running the same decoder_unet.onnx on the same input
shapes, single-threaded like the studio's bench. Called by bench/models.bench.ts.
Usage: python3 reference_unet.py MODEL.onnx ROWS CHANNELS SIZE COND_DIM CALLS -> one JSON line {"msPerCall", "version"}"""
import json, sys, time
import numpy as np
import onnxruntime as ort


def main():
    model, rows, channels, size, cond_dim, calls = sys.argv[1], *map(int, sys.argv[2:7])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    rng = np.random.default_rng(0)
    feeds = {names[0]: rng.standard_normal((rows, channels, size, size), dtype=np.float32), names[1]: np.full((rows,), 500, np.float32), names[2]: rng.standard_normal((rows, cond_dim), dtype=np.float32)}
    session.run(None, feeds)
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        session.run(None, feeds)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    print(json.dumps({"msPerCall": samples[len(samples) // 2], "version": ort.__version__}))


if __name__ == "__main__":
    main()
