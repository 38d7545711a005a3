#include "services/systems/cambricon_llm/cambricon_llm_system.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/host/compute/flash_gemv_executor.h"
#include "services/host/compute/roofline_executor.h"
#include "services/nand/flash/nand_channel.h"
#include "services/systems/cambricon_llm/tiled_gemv_executor.h"
#include "services/systems/core/energy_activity.h"
#include "services/systems/core/host_spec.h"
#include "services/systems/core/links.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/core/nand_spec.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/core/sustained_bandwidth.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {
namespace {

// Table II gives one tR, 30 us, and no read phases. The phases keep AiF's
// measured proportions (precharge 14, sense 9 per level, discharge 5,
// recycle 0.7 us: nand_config.h) scaled by 30 / 40 so that their mean over
// TLC's (2,3,2) page types, P + D + 7/3 S (MeanReadSeconds), is 30 us:
// LSB 27.75, CSB 34.5, MSB 27.75 us. The cell type is not published either;
// services/nand's TLC block is kept.
constexpr double kTrScale = 30.0 / 40.0;
// §IV-A sizes a compute core to keep up with one page per tR ("about two
// MACs"); at Table II's tR that is 16384 INT8 weights / 2 MACs / 30 us.
constexpr double kCoreMacs = 2;
constexpr double kCoreClockMhz = 16384.0 / kCoreMacs / 30.0;

// Blocks per plane the executor's placement takes for `model`'s weights:
// every matrix starts at a fresh block on every plane (FlashGemvExecutor)
// and spreads its pages over all planes.
int64_t BlocksPerPlaneNeeded(const ModelFacts& model, const nand::NandGeometry& g) {
  const host::ModelShape& s = model.shape;
  const int64_t bits = host::WeightBits(model.weight_type);
  const int64_t bias = s.linear_biases ? 2 : 0;  // fp16 per output row
  const int64_t planes = int64_t{g.dies()} * g.planes_per_die;
  auto blocks = [&](int64_t rows, int64_t in, bool biased) {
    const int64_t bytes = rows * in * bits / 8 + (biased ? rows * bias : 0);
    const int64_t per_plane = ((bytes + g.page_bytes - 1) / g.page_bytes + planes - 1) / planes;
    return (per_plane + g.pages_per_block() - 1) / g.pages_per_block();
  };
  const int64_t h = s.hidden;
  const int64_t in_rows = (s.ffn_kind == host::FfnKind::kSwiGlu ? 2 : 1) * s.ffn;
  int64_t layer = blocks(h + 2 * s.kv_dim(), h, true) + blocks(h, h, true) +
                  s.experts * (blocks(in_rows, h, true) + blocks(h, s.ffn, true));
  if (s.experts > 1) layer += blocks(s.experts, h, false);
  return s.layers * layer + blocks(s.vocab, h, false);
}

bool Tiled(const v1::CambriconLlmSystem& s) { return s.tiling() != v1::NO_TILING; }

}  // namespace

TilingRates SectionVBRates(const v1::CambriconLlmSystem& s, const nand::NandConfig& physical) {
  // §V-B: a read-compute request is an H_req x W_req tile, one page-sized
  // atomic tile per compute core, H_req = sqrt(ccore_num x page) (§V-A);
  // t_rc = tR + W_req / (channel_num x bw); its channel use is
  // rate_rc = (H_req + W_req / channel_num) / (tR x bw). The flash computes
  // one page per die per t_rc; the channels carry normal reads in the rest:
  // B_channel = channel_num x bw x (1 - rate_rc). The NPU's byte share is
  // B_channel / (B_flash + B_channel) (docs/cambricon-llm.md: the paper's
  // alpha is a share of requests; this is the same balance in bytes).
  const double page = physical.geometry.page_bytes;
  const double bw = static_cast<double>(physical.bus.bytes_per_second());
  const double t_r = nand::MeanReadSeconds(physical);
  const double cores_per_channel = static_cast<double>(s.chips_per_channel()) * s.dies_per_chip();
  const double h_req = std::sqrt(cores_per_channel * page);
  const double t_rc = t_r + h_req / bw;  // W_req / channel_num = H_req
  const double rate_rc = 2 * h_req / (t_r * bw);
  TilingRates r;
  r.t_rc_seconds = t_rc;
  r.flash_bytes_per_s = s.channels() * cores_per_channel * page / t_rc;
  r.channel_read_bytes_per_s = s.channels() * bw * std::max(0.0, 1 - rate_rc);
  return r;
}

double BalancedNpuWeightShare(const v1::CambriconLlmSystem& s, const nand::NandConfig& physical) {
  const TilingRates r = SectionVBRates(s, physical);
  return r.channel_read_bytes_per_s / (r.flash_bytes_per_s + r.channel_read_bytes_per_s);
}

std::vector<host::Category> CambriconLlmSystem::breakdown_parts() const {
  return {host::Category::kFlashArray, host::Category::kPeCompute, host::Category::kHostAttention,
          host::Category::kHostGemv, host::Category::kHostOther, host::Category::kSynchronization};
}

std::vector<Parameter> CambriconLlmSystem::parameters() const {
  const nand::NandConfig aif = nand::AifDefaultNandConfig();
  auto scaled_us = [](sim::SimTime t) { return t.ToSeconds() * 1e6 * kTrScale; };
  const std::string phases = "Table II: tR = 30 us as the mean over TLC page types; AiF's measured phase "
                             "proportions (nand_config.h) scaled by 30/40 (no phases published)";
  return {
      {"channels", "", 32, 1, 64, "Table II: Cambricon-LLM-L (-S 8, -M 16)"},
      {"chips_per_channel", "", 8, 1, 16, "Table II: Cambricon-LLM-L (-S 2, -M 4); dies per channel <= 16"},
      {"dies_per_chip", "", 2, 1, 16, "Table II: 2 dies per chip"},
      {"planes_per_die", "", 2, 1, 128, "Table II: 2 planes per die"},
      {"blocks_per_plane", "", 512, 1, 100000,
       "assumption: the paper gives no capacity; 512 holds LLaMA-2-70B (321 blocks: each matrix starts a block)"},
      {"core_clock_mhz", "MHz", kCoreClockMhz, 1.0, 10000.0,
       "derived: one 16 KB page of INT8 weights per tR = 30 us at 2 MACs (§IV-A sizes the core to tR)"},
      {"core_macs_per_cycle", "", kCoreMacs, 1, 65536, "§IV-A: 'about two MACs' per compute core"},
      {"timing.precharge_us", "us", scaled_us(aif.timing.precharge), 1e-3, 1e4, phases},
      {"timing.sense_per_level_us", "us", scaled_us(aif.timing.sense_per_level), 1e-3, 1e4, phases},
      {"timing.discharge_us", "us", scaled_us(aif.timing.discharge), 1e-3, 1e4, phases},
      {"timing.recycle_us", "us", scaled_us(aif.timing.recycle), 1e-3, 1e4,
       "as the phases (cr-read is not part of Cambricon-LLM: unused)"},
      {"timing.channel_mts", "MT/s", 1000, 1, 100000, "Table II: 1000 MT/s on an 8-bit channel (1 GB/s)"},
      {"npu.peak_tflops", "TFLOP/s", 2.0, 1e-3, 1e4, "§VII-A: the NPU's 2 TOPS INT8"},
      {"npu.vector_gflops", "GFLOP/s", 256.0, 1e-3, 1e6,
       "assumption: the SFU is unsized; 256 lanes (the 16 x 16 array's width) at 1 GHz (§VII-A)"},
      {"npu.per_op_overhead_us", "us", 0.1, 0.0, 1e6, "assumption: a hardware sequencer, no software dispatch"},
      {"dram.bandwidth_gbps", "GB/s", 40.0, 1e-3, 1e5, "§VII-A: LPDDR5X, about 40 GB/s"},
      {"dram.capacity_gib", "GiB", 1.0, 1e-3, 1e6,
       "assumption: §VII-A sizes the KV cache only ('less than 700MB' for 70B at ~1000 tokens)"},
      {"dram.sustained_fraction", "", kLpddr5SustainedFraction, 1e-3, 1.0, kLpddr5SustainedSource},
      Parameter::Rule("tiling", "", "TILED, NO_TILING", "TILED",
                      "§V-B's hardware-aware tiling, the configuration of the paper's headline figures (Fig. 9); "
                      "NO_TILING is Fig. 14's: every weight GEMV in flash"),
      Parameter::Rule("npu_weight_share", "", "0 to 1, with tiling TILED only",
                      "unset: each GEMV split by §V-B's balance (overall about -L 0.10, -M 0.18, -S 0.31)",
                      "§V-B: per op, the whole pages per compute plane that balance the cores (one page per die "
                      "per t_rc) against the channels' normal reads (B_channel) from Table II's geometry, tR and "
                      "channel rate; set: that share of every GEMV's bytes, to the nearest whole page per plane"),
  };
}

absl::Status CambriconLlmSystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::CambriconLlmSystem* c = spec->mutable_system()->mutable_cambricon_llm();
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.cambricon_llm", c));
  if (c->tiling() == v1::CAMBRICON_LLM_TILING_UNSPECIFIED) c->set_tiling(v1::TILED);
  if (c->tiling() != v1::NO_TILING && c->tiling() != v1::TILED) {
    return Invalid("system.cambricon_llm.tiling", c->tiling(), "1 to 2 (NO_TILING, TILED)");
  }
  if (!Tiled(*c) && c->has_npu_weight_share()) {
    return Invalid("system.cambricon_llm.npu_weight_share", c->npu_weight_share(),
                   "unset with tiling NO_TILING (every weight GEMV runs in flash)");
  }
  if (Tiled(*c)) {
    // One half of each die's planes feeds the core, the other serves reads (§IV-C).
    if (c->planes_per_die() % 2 != 0) {
      return Invalid("system.cambricon_llm.planes_per_die", c->planes_per_die(),
                     "an even number with tiling TILED (half the planes compute, half serve the NPU's reads)");
    }
    // Unset: each op balanced by §V-B's rates (TiledGemvExecutor).
    if (c->has_npu_weight_share() && !(c->npu_weight_share() >= 0 && c->npu_weight_share() <= 1)) {
      return Invalid("system.cambricon_llm.npu_weight_share", c->npu_weight_share(), "0 to 1");
    }
  }
  // The compute cores multiply INT8 weights (W8A8, §VII-A).
  if (model.weight_type != host::WeightType::kInt8) {
    return absl::InvalidArgumentError(absl::StrCat("model.weight_type = ", spec->model().weight_type() == v1::INT4 ? "INT4" : "FP16",
                                                   " is not simulated on system.cambricon_llm (its compute cores "
                                                   "multiply INT8, §VII-A); allowed: INT8"));
  }
  if (c->chips_per_channel() * c->dies_per_chip() > 16) {
    return Invalid("system.cambricon_llm.chips_per_channel", c->chips_per_channel(),
                   absl::StrCat("1 to ", 16 / c->dies_per_chip(), " at dies_per_chip = ", c->dies_per_chip(),
                                " (services/nand holds at most 16 dies per channel)"));
  }
  const nand::NandConfig nc = CambriconLlmNandConfig(*c, spec->simulation());
  if (absl::Status s = nand::ValidateNandConfig(nc); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("system.cambricon_llm: ", s.message()));
  }
  // Tiled: at most every weight on the compute halves (NPU share 0).
  nand::NandGeometry holding = nc.geometry;
  if (Tiled(*c)) holding.dies_per_channel /= 2;
  if (const int64_t needed = BlocksPerPlaneNeeded(model, holding); needed > c->blocks_per_plane()) {
    return Invalid("system.cambricon_llm.blocks_per_plane", c->blocks_per_plane(),
                   absl::StrCat(needed, " to 100000: the model's matrices need ", needed,
                                " blocks per plane (each starts a fresh block)"));
  }
  // LPDDR5X holds the KV cache only (§IV-A, §VII-A).
  const double capacity = c->dram().capacity_gib();
  if (static_cast<double>(model.kv_bytes) > capacity * kGiB) {
    return Invalid("system.cambricon_llm.dram.capacity_gib", capacity,
                   absl::StrFormat("at least %.3f: the KV cache of the whole run", model.kv_bytes / kGiB));
  }
  return absl::OkStatus();
}

nand::NandConfig CambriconLlmNandConfig(const v1::CambriconLlmSystem& s, const v1::SimulationSpec& simulation,
                                        bool split_planes) {
  nand::NandConfig c = nand::AifDefaultNandConfig();  // TLC block, 16 KiB page (Table II: 16 KB)
  c.fidelity = FidelityOf(simulation);
  c.geometry.channels = static_cast<uint32_t>(s.channels());
  c.geometry.dies_per_channel = static_cast<uint32_t>(s.chips_per_channel() * s.dies_per_chip());
  c.geometry.planes_per_die = static_cast<uint32_t>(s.planes_per_die());
  c.geometry.blocks_per_plane = static_cast<uint32_t>(s.blocks_per_plane());
  // One compute core per die, shared by its planes one page at a time (§IV-B).
  c.pe.placement = nand::PePlacement::kPerDie;
  c.pe.clock_hz = static_cast<uint64_t>(s.core_clock_mhz() * 1e6);
  c.pe.macs_per_cycle = static_cast<uint32_t>(s.core_macs_per_cycle());
  c.pe.dedicated_output_path = false;  // results go back over the channel (§IV-A)
  // On-die outlier ECC (§VI): the outliers' addresses and copies sit in the
  // page's spare area and the core votes and zeroes them as it streams the
  // page: a compare per byte beside the PEs (Table IV: 0.4 uW), no decoder
  // latency, no read retry, no controller LDPC. Modelled as no ECC stage
  // (bit errors are still drawn and counted; none is retried).
  c.ecc.kind = nand::EccKind::kNone;
  ApplyNandTiming(s.timing(), &c);
  c.timing.cr_read = false;  // not part of Cambricon-LLM
  if (split_planes) {
    // Tiled (§IV-C): while one plane feeds the die's core, the other serves
    // the NPU's normal reads, each with its own command: services/nand runs
    // one command per die at a time, so each half of a die's planes is a
    // die of its own on the channel (2k computes, 2k+1 reads). The core
    // keeps its one page per tR, now fed by the compute half alone.
    c.geometry.dies_per_channel *= 2;
    c.geometry.planes_per_die /= 2;
    // Slice Control (§IV-C): the NPU's reads fill the channel's gaps and
    // never hold up read-compute traffic (commands, results).
    c.channel_arbitration = nand::ChannelArbitration::kReadComputeFirst;
  }
  return c;
}

void CambriconLlmSystem::ConfigureDriver(const v1::SystemSpec& /*system*/, host::DriverConfig* dc) const {
  // Every decode weight GEMV goes to the flash side: wholly to the dies
  // (NO_TILING, Fig. 14) or split there between the dies and the NPU's page
  // reads (TILED). Prefill stays on the NPU (the paper reports decode only).
  dc->offload = host::DriverConfig::Offload::kAllGemv;
}

absl::Status CambriconLlmSystem::Build(const v1::JobSpec& spec, const host::DriverConfig& /*dc*/, BuiltJob* job) const {
  job->system = "cambricon_llm";
  sim::Simulation& sim = *job->sim;
  const auto& c = spec.system().cambricon_llm();
  auto* npu = sim.Emplace<host::RooflineExecutor>("host", HostRoofline("npu", c.npu(), c.dram()));
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", npu->id(), "driver", kDispatchLatency));
  const nand::NandConfig nc = CambriconLlmNandConfig(c, spec.simulation());
  sim::Component* flash = nullptr;
  TiledGemvExecutor* tiled = nullptr;
  if (Tiled(c)) {
    std::optional<double> share;
    if (c.has_npu_weight_share()) share = c.npu_weight_share();
    flash = tiled = sim.Emplace<TiledGemvExecutor>("flash", nc, job->shape, share,
                                                   SectionVBRates(c, CambriconLlmNandConfig(c, spec.simulation(), false)));
  } else {
    flash = sim.Emplace<host::FlashGemvExecutor>("flash", nc, job->shape, host::WeightType::kInt8);
  }
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "offload", flash->id(), "driver", kDispatchLatency));
  ASSIGN_OR_RETURN(auto array, nand::BuildNandArray(nc, &sim, "nand", job->cancel));
  for (uint32_t ch = 0; ch < nc.geometry.channels; ++ch) {
    // The NPU holds the flash controller; the D2D hop's latency is not
    // published: a controller-to-sequencer link (links.h).
    RETURN_IF_ERROR(sim.Connect(flash->id(), absl::StrCat("ch", ch), array.channels[ch]->id(), "host", kChannelLink));
  }
  job->resources.push_back({"dram", [npu] { return npu->busy_time(); }, [npu] { return npu->memory_bytes(); }});
  job->resources.push_back(FlashDiesResource(array, nc.geometry.page_bytes));
  job->resources.push_back(FlashChannelsResource(array.channels));
  // The NPU is priced as attention logic beside LPDDR5 (energy_model.h: its
  // MACs, its memory traffic, the LPDDR5's background power per GiB).
  AddAttentionLogicEnergyActivity(npu, c.dram().capacity_gib(), job);
  AddNandEnergyActivity(array, nc, job);
  if (tiled != nullptr) {
    // The NPU multiplies the pages it read (its roofline never sees them).
    job->activities.push_back({"logic_macs", [tiled] { return tiled->npu_macs(); }});
    // Two strata dies (the plane halves) are one physical die: standby power per physical die.
    job->static_loads.back().units /= 2;
  }
  job->offload = flash;
  return absl::OkStatus();
}

}  // namespace strata::systems
