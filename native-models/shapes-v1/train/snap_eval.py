"""Dev helper: export the EMA UNet of the current checkpoint to /tmp/snap_unet.onnx (for quick quality checks)."""
import os, torch, models, diffusion
torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
s = torch.load(os.path.join(HERE, "checkpoints", "decoder.pt"), weights_only=False)
u = models.UNet(**diffusion.UNET_CFG); import sys; u.load_state_dict(s[sys.argv[1] if len(sys.argv) > 1 else "ema"]); u.eval()
torch.onnx.export(u, (torch.zeros(2, 3, 32, 32), torch.tensor([1.0, 2.0]), torch.zeros(2, models.D)), "/tmp/snap_unet.onnx",
                  input_names=["x", "t", "cond"], output_names=["eps"], dynamic_axes={n: {0: "b"} for n in ["x", "t", "cond", "eps"]},
                  opset_version=17, dynamo=False)
print("snapshot step", s["step"], "minutes %.1f" % s["minutes"])
