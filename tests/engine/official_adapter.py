"""A random checkpoint in the official DiffEditor adapter's layout (``ip_sd15_64.bin``), for the tests that load
it with ``dw.load_image_prompt`` (the fixtures ``encoder_dir``, ``checkpoint`` and ``official_pipe`` live in
conftest.py)."""

import torch

TOKENS, DEPTH, HEADS, DIM_HEAD = 64, 4, 2, 64  # the official adapter: 64 tokens, depth 4, heads of 64 (12 heads)


def official_layout(unet, width: int, seed: int = 0) -> dict:
    """A random checkpoint in exactly the official key layout, sized for ``unet`` and a ``width``-channel encoder."""
    g = torch.Generator().manual_seed(seed)
    dim, inner = unet.config.cross_attention_dim, HEADS * DIM_HEAD

    def r(*shape, std=0.2):
        return torch.randn(*shape, generator=g) * std

    proj = {"latents": r(1, TOKENS, dim, std=dim ** -0.5), "proj_in.weight": r(dim, width), "proj_in.bias": r(dim),
            "proj_out.weight": r(dim, dim), "proj_out.bias": r(dim), "norm_out.weight": 1 + r(dim),
            "norm_out.bias": r(dim)}
    for i in range(DEPTH):
        a, f = f"layers.{i}.0", f"layers.{i}.1"
        for norm in ("norm1", "norm2"):
            proj[f"{a}.{norm}.weight"], proj[f"{a}.{norm}.bias"] = 1 + r(dim), r(dim)
        proj[f"{a}.to_q.weight"], proj[f"{a}.to_kv.weight"], proj[f"{a}.to_out.weight"] = r(inner, dim), r(2 * inner, dim), r(dim, inner)
        proj[f"{f}.0.weight"], proj[f"{f}.0.bias"] = 1 + r(dim), r(dim)
        proj[f"{f}.1.weight"], proj[f"{f}.3.weight"] = r(4 * dim, dim), r(dim, 4 * dim)
    ip = {}
    cross = [m for name, m in unet.named_modules() if name.endswith("attn2")]
    for j, m in enumerate(cross):  # the official ModuleList(attn_processors.values()): cross-attentions at odd indices
        ip[f"{2 * j + 1}.to_k_ip.weight"] = r(m.to_k.weight.shape[0], dim, std=0.5)
        ip[f"{2 * j + 1}.to_v_ip.weight"] = r(m.to_k.weight.shape[0], dim, std=0.5)
    return {"image_proj": proj, "ip_adapter": ip}
