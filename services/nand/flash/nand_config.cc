#include "flash/nand_config.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strata::nand {

double MeanReadSeconds(const NandConfig& c) {
  const NandTiming& t = c.timing;
  return (t.precharge + t.discharge).ToSeconds() +
         t.sense_per_level.ToSeconds() * ((1 << c.geometry.bits_per_cell) - 1.0) / c.geometry.bits_per_cell;
}

NandConfig AifDefaultNandConfig() { return NandConfig{}; }  // the struct defaults are AiF's, each cited

namespace {

absl::Status Range(absl::string_view field, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", v, "; allowed: ", lo, " to ", hi));
  }
  return absl::OkStatus();
}
absl::Status RangeD(absl::string_view field, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", v, "; allowed: ", lo, " to ", hi));
  }
  return absl::OkStatus();
}
absl::Status NonNegative(absl::string_view field, SimTime t) {
  if (t < SimTime::Zero() || t.IsInfinite()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", t.ToString(), "; allowed: >= 0 and finite"));
  }
  return absl::OkStatus();
}
absl::Status Positive(absl::string_view field, SimTime t) {
  if (t <= SimTime::Zero() || t.IsInfinite()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", t.ToString(), "; allowed: > 0 and finite"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNandConfig(const NandConfig& c) {
  const NandGeometry& g = c.geometry;
  const NandTiming& t = c.timing;
  const EccConfig& e = c.ecc;
  const ReliabilityConfig& r = c.reliability;
  const absl::Status checks[] = {
      Range("geometry.channels", g.channels, 1, 64),
      // 16 dies (ONFI targets x LUNs of a typical channel); 32 for
      // Cambricon-LLM-L's tiled layout, whose 16 dies a channel are each
      // two dies of one plane (services/systems/cambricon_llm).
      Range("geometry.dies_per_channel", g.dies_per_channel, 1, 32),
      // Commercial dies have 2-6 planes; NVLLM-style wafer-level arrays
      // have 32-64 (its "16C" variant: 64). Plane ids are 8-bit.
      // ONFI: a target (chip) has 1 to 16 LUNs in practice (4-bit LUN field
      // of typical parts; MQSim's Die_No_Per_Chip); it must divide the
      // channel's dies.
      Range("geometry.dies_per_chip", g.dies_per_chip, 1, std::max<uint64_t>(1, std::min<uint64_t>(16, g.dies_per_channel))),
      Range("geometry.planes_per_die", g.planes_per_die, 1, 128),
      Range("geometry.blocks_per_plane", g.blocks_per_plane, 1, 1'000'000),
      Range("geometry.wordlines_per_block", g.wordlines_per_block, 1, 4096),
      Range("geometry.bits_per_cell", g.bits_per_cell, 1, 4),
      Range("geometry.page_bytes", g.page_bytes, 512, 65536),
      NonNegative("timing.precharge", t.precharge),
      Positive("timing.sense_per_level", t.sense_per_level),
      NonNegative("timing.discharge", t.discharge),
      NonNegative("timing.recycle", t.recycle),
      Positive("timing.program", t.program),
      Positive("timing.erase", t.erase),
      NonNegative("timing.cmd_addr_cycle", t.cmd_addr_cycle),
      Range("timing.read_cmd_addr_cycles", t.read_cmd_addr_cycles, 0, 64),
      Range("timing.program_cmd_addr_cycles", t.program_cmd_addr_cycles, 0, 64),
      Range("timing.erase_cmd_addr_cycles", t.erase_cmd_addr_cycles, 0, 64),
      NonNegative("timing.program_suspend", t.program_suspend),
      NonNegative("timing.erase_suspend", t.erase_suspend),
      NonNegative("timing.suspend_resume", t.suspend_resume),
      Range("channel_arbitration", static_cast<uint32_t>(c.channel_arbitration), 0, 2),
      Range("chip_interleave", static_cast<uint32_t>(c.chip_interleave), 0, 1),
      Range("bus.mega_transfers_per_s", c.bus.mega_transfers_per_s, 1, 100'000),
      Range("bus.bus_width_bytes", c.bus.bus_width_bytes, 1, 8),
      Range("ecc.kind", static_cast<uint32_t>(e.kind), 0, 2),
      Range("ecc.codeword_bytes", e.codeword_bytes, 64, 65536),
      Range("ecc.ecclite_t", e.ecclite_t, 0, uint64_t{e.codeword_bytes} * 8),
      Range("ecc.ecclite_bytes_per_s", e.ecclite_bytes_per_s, 1, uint64_t{1} << 50),
      Range("ecc.ldpc_t", e.ldpc_t, 0, uint64_t{e.codeword_bytes} * 8),
      Range("ecc.ldpc_errors_per_iteration", e.ldpc_errors_per_iteration, 1, 1'000'000),
      NonNegative("ecc.ldpc_base_latency", e.ldpc_base_latency),
      NonNegative("ecc.ldpc_iteration_latency", e.ldpc_iteration_latency),
      Range("ecc.max_read_retries", e.max_read_retries, 0, 64),
      RangeD("ecc.retry_rber_factor", e.retry_rber_factor, 0, 1),
      RangeD("reliability.eps", r.eps, 0, 1e12),
      RangeD("reliability.alpha", r.alpha, 0, 1e12),
      RangeD("reliability.k", r.k, 0, 10),
      RangeD("reliability.beta", r.beta, 0, 1e12),
      RangeD("reliability.m", r.m, 0, 10),
      RangeD("reliability.n", r.n, 0, 10),
      RangeD("reliability.gamma", r.gamma, 0, 1e12),
      RangeD("reliability.anchor_pe_kilocycles", r.anchor_pe_kilocycles, 1e-3, 1e3),
      RangeD("reliability.anchor_retention_years", r.anchor_retention_years, 0, 100),
      Range("reliability.anchor_max_errors_default_lsb", r.anchor_max_errors_default_lsb, 1,
            uint64_t{e.codeword_bytes} * 8 / 4),
      Range("reliability.anchor_max_errors_be_enc_lsb", r.anchor_max_errors_be_enc_lsb, 1,
            uint64_t{e.codeword_bytes} * 8 / 4),
      RangeD("reliability.anchor_tail_probability", r.anchor_tail_probability, 1e-12, 0.5),
      Range("reliability.initial_pe_cycles", r.initial_pe_cycles, 0, 1'000'000),
      RangeD("reliability.initial_retention_years", r.initial_retention_years, 0, 100),
      Range("fidelity", static_cast<uint32_t>(c.fidelity), 0, 1),
      Range("pe.placement", static_cast<uint32_t>(c.pe.placement), 0, 2),
      Range("pe.clock_hz", c.pe.clock_hz, 1, 100'000'000'000),
      Range("pe.macs_per_cycle", c.pe.macs_per_cycle, 1, 1'000'000),
      Range("pe.operand", static_cast<uint32_t>(c.pe.operand), 0, 2),
      Range("pe.accumulator_bytes", c.pe.accumulator_bytes, 1, 8),
      Range("pe.output_path_bytes_per_s", c.pe.output_path_bytes_per_s, 1, uint64_t{1} << 50),
  };
  for (const absl::Status& s : checks) {
    if (!s.ok()) return s;
  }
  for (uint32_t type = 0; type < 4; ++type) {
    for (const auto& [name, times] : {std::pair{"timing.read_by_page_type", &t.read_by_page_type},
                                      std::pair{"timing.program_by_page_type", &t.program_by_page_type}}) {
      const SimTime x = (*times)[type];
      if (x < SimTime::Zero() || x.IsInfinite() || (type >= g.bits_per_cell && x != SimTime::Zero())) {
        return absl::InvalidArgumentError(absl::StrCat(name, "[", type, "] = ", x.ToString(),
                                                       "; allowed: >= 0 and finite, and 0 beyond the cell's ",
                                                       g.bits_per_cell, " page types"));
      }
    }
  }
  if (g.dies_per_channel % g.dies_per_chip != 0) {
    return absl::InvalidArgumentError(absl::StrCat("geometry.dies_per_chip = ", g.dies_per_chip,
                                                   "; allowed: a divisor of geometry.dies_per_channel (",
                                                   g.dies_per_channel, "): every chip has the same dies"));
  }
  if (g.page_bytes % e.codeword_bytes != 0) {
    return absl::InvalidArgumentError(absl::StrCat("geometry.page_bytes = ", g.page_bytes,
                                                   "; allowed: a multiple of ecc.codeword_bytes (", e.codeword_bytes,
                                                   ")"));
  }
  // Each die keeps per-block state (wear, reads, coding) for every block of
  // every plane, allocated when the graph is built. Each field within its
  // range still allows 64 x 16 x 128 x 1,000,000 blocks: terabytes, which
  // a job would allocate (uncancellably, before it runs) until the
  // machine ran out of memory.
  const uint64_t blocks = uint64_t{g.channels} * g.dies_per_channel * g.planes_per_die * g.blocks_per_plane;
  if (blocks > kMaxArrayBlocks) {
    return absl::InvalidArgumentError(absl::StrCat(
        "geometry: channels x dies_per_channel x planes_per_die x blocks_per_plane = ", blocks,
        " blocks; allowed: at most ", kMaxArrayBlocks, " (each keeps its wear state in memory)"));
  }
  if (r.eps + r.alpha + r.beta <= 0) {
    return absl::InvalidArgumentError("reliability.eps + alpha + beta = 0; allowed: > 0 (the shape must be positive)");
  }
  return absl::OkStatus();
}

}  // namespace strata::nand
