#include "services/systems/cambricon_llm/cambricon_llm_system.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/host/compute/flash_gemv_executor.h"
#include "services/host/compute/roofline_executor.h"
#include "services/nand/flash/nand_channel.h"
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

}  // namespace

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
      Parameter::Rule("tiling", "", "NO_TILING", "NO_TILING",
                      "Fig. 14's no-tiling configuration: every weight GEMV in flash (§V-B's tiling is not simulated)"),
  };
}

absl::Status CambriconLlmSystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::CambriconLlmSystem* c = spec->mutable_system()->mutable_cambricon_llm();
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.cambricon_llm", c));
  if (c->tiling() == v1::CAMBRICON_LLM_TILING_UNSPECIFIED) c->set_tiling(v1::NO_TILING);
  if (c->tiling() != v1::NO_TILING) {
    return Invalid("system.cambricon_llm.tiling", c->tiling(), "NO_TILING (the only configuration simulated)");
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
  if (const int64_t needed = BlocksPerPlaneNeeded(model, nc.geometry); needed > c->blocks_per_plane()) {
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

nand::NandConfig CambriconLlmNandConfig(const v1::CambriconLlmSystem& s, const v1::SimulationSpec& simulation) {
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
  return c;
}

void CambriconLlmSystem::ConfigureDriver(const v1::SystemSpec& /*system*/, host::DriverConfig* dc) const {
  // NO_TILING: every decode weight GEMV in the flash (Fig. 14). Prefill
  // stays on the NPU (the paper reports decode only).
  dc->offload = host::DriverConfig::Offload::kAllGemv;
}

absl::Status CambriconLlmSystem::Build(const v1::JobSpec& spec, const host::DriverConfig& /*dc*/, BuiltJob* job) const {
  job->system = "cambricon_llm";
  sim::Simulation& sim = *job->sim;
  const auto& c = spec.system().cambricon_llm();
  auto* npu = sim.Emplace<host::RooflineExecutor>("host", HostRoofline("npu", c.npu(), c.dram()));
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", npu->id(), "driver", kDispatchLatency));
  const nand::NandConfig nc = CambriconLlmNandConfig(c, spec.simulation());
  auto* flash = sim.Emplace<host::FlashGemvExecutor>("flash", nc, job->shape, host::WeightType::kInt8);
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
  job->offload = flash;
  return absl::OkStatus();
}

}  // namespace strata::systems
