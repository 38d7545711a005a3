#!/usr/bin/env python3
"""Closed-form decode estimate for Cambricon-LLM (Yu et al., MICRO 2024,
arXiv 2409.15654) from the paper's own mechanisms, for docs/cambricon-llm.md.

Not a strata simulation: it is the arithmetic a `system { cambricon_llm {} }`
run should land near, so the system's first runs can be judged. Only the
weight stage is counted (every decode GEMV's INT8 weights; the KV cache, a
few ms per token at ~1000 tokens of context, is left out).

Sources (paper section / table):
  Table II  channels 8/16/32, chips per channel 2/4/8, 2 dies per chip,
            2 planes and 1 compute core per die, 1000 MT/s x 8-bit channel,
            16 KB page, tR = 30 us.
  §IV-A     a compute core keeps up with one page per tR (its 20 us example);
            §IV-B it is shared by the die's two planes, one at a time, so a
            die computes one page per tR while its other plane serves reads.
  §V-A      tile H_req = sqrt(ccore_num * page), W_req = channel_num * H_req.
  §V-B      t_rc = tR + W_req / (channel_num * bw);
            rate_rc = (H_req + W_req / channel_num) / (tR * bw);
            t_r = page / ((1 - rate_rc) * bw);  alpha = t_r / (t_r + t_rc).
            alpha is a share of requests (one read-compute request is a whole
            tile, channel_num * ccore_num pages; one read request is one page
            per channel), so the flash's share of weight *bytes* is
            B_flash / (B_flash + B_channel) below.
"""
import math

PAGE = 16384      # Table II: page size = 16KB
T_R = 30e-6       # Table II: tR = 30 us
CHANNEL_BW = 1e9  # Table II: 1000 MT/s on an 8-bit bus

PLATFORMS = {     # Table II: (channels, chips per channel); 2 dies per chip
    "S": (8, 2),
    "M": (16, 4),
    "L": (32, 8),
}


def llama(h, f, heads, kv_heads, layers, vocab):
  hk = h * kv_heads // heads
  return [h * h, h * hk, h * hk, h * h, h * f, h * f, f * h] * layers + [h * vocab]


def opt(h, f, layers, vocab):
  return ([h * h] * 4 + [h * f, f * h]) * layers + [h * vocab]


MODELS = {        # ../shared/REFERENCE.md, LLM shapes
    "LLaMA-2-70B": llama(8192, 28672, 64, 8, 80, 32000),
    "LLaMA-2-7B": llama(4096, 11008, 32, 32, 32, 32000),
    "OPT-6.7B": opt(4096, 16384, 32, 50272),
}


def estimate(matrices, channels, chips):
  ccores = chips * 2                      # compute cores per channel
  dies = channels * ccores
  h_req = math.sqrt(ccores * PAGE)
  w_req = channels * h_req
  t_rc = T_R + w_req / (channels * CHANNEL_BW)
  rate_rc = (h_req + w_req / channels) / (T_R * CHANNEL_BW)
  t_r = PAGE / ((1 - rate_rc) * CHANNEL_BW)
  alpha = t_r / (t_r + t_rc)
  b_flash = dies * PAGE / t_rc            # read-compute: one page per die per t_rc
  b_channel = channels * CHANNEL_BW * (1 - rate_rc)  # sliced reads to the NPU
  weights = sum(matrices)
  # Per op, whole pages per die (an op's pages are spread over every die and
  # the op ends with its slowest die); the NPU takes the rest over the channels.
  flash_only = tiled = 0.0
  for w in matrices:
    pages = math.ceil(w / PAGE)
    per_die = math.ceil(pages / dies)
    flash_only += per_die * t_rc
    tiled += min(max(k * t_rc, max(0, pages - k * dies) * PAGE / b_channel) for k in range(per_die + 1))
  return dict(h_req=h_req, w_req=w_req, alpha=alpha, byte_share=b_flash / (b_flash + b_channel),
              b_flash=b_flash / 1e9, b_channel=b_channel / 1e9, bound=(b_flash + b_channel) / weights,
              tiled=1 / tiled, flash_only=1 / flash_only, weights=weights / 1e9)


def main():
  print("| model | platform | weights GB | tile | alpha (requests) | flash byte share | flash / channel GB/s "
        "| bound tok/s | tiled, whole pages tok/s | flash only tok/s |")
  print("|---|---|---:|---|---:|---:|---|---:|---:|---:|")
  for model, matrices in MODELS.items():
    for name, (channels, chips) in PLATFORMS.items():
      e = estimate(matrices, channels, chips)
      print(f"| {model} | {name} | {e['weights']:.2f} | {e['h_req']:.0f} x {e['w_req']:.0f} | {e['alpha']:.3f} "
            f"| {e['byte_share']:.3f} | {e['b_flash']:.1f} / {e['b_channel']:.1f} | {e['bound']:.2f} "
            f"| {e['tiled']:.2f} | {e['flash_only']:.2f} |")


if __name__ == "__main__":
  main()
