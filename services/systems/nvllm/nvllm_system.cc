#include "services/systems/nvllm/nvllm_system.h"

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
#include "strata/sim/status_macros.h"

namespace strata::systems {

std::vector<host::Category> NvllmSystem::breakdown_parts() const {
  return {host::Category::kFlashArray, host::Category::kEcc,           host::Category::kFlashBus,
          host::Category::kPeCompute,  host::Category::kHostAttention, host::Category::kHostGemv,
          host::Category::kHostOther,  host::Category::kSynchronization};
}

std::vector<Parameter> NvllmSystem::parameters() const {
  std::vector<Parameter> p = AttentionLogicParameters();
  const std::vector<Parameter> flash = {
      {"flash.channels", "", 8, 1, 64, "assumption: AiF's SSD's 8 channels (NVLLM does not publish its layout)"},
      {"flash.dies_per_channel", "", 1, 1, 16, "assumption: one die per channel; services/nand's limit is 16"},
      {"flash.planes_per_die", "", 64, 1, 128, "NVLLM: the 16C variant, 64 planes in 16 clusters"},
      {"flash.blocks_per_plane", "", 1366, 1, 100000, "assumption: AiF's TLC die (nand_config.h)"},
      {"flash.pe_clock_mhz", "MHz", 200.0, 1.0, 10000.0, "AiF's in-chip logic; NVLLM does not publish its clock"},
      {"flash.pe_macs_per_cycle", "", 32, 1, 65536, "assumption: keeps up with one plane's page stream"},
  };
  p.insert(p.end(), flash.begin(), flash.end());
  const std::vector<Parameter> timing = NandTimingParameters(
      "flash.timing", nand::AifDefaultNandConfig().bus.mega_transfers_per_s, "AiF: ONFI 2.0 GB/s on an 8-bit bus");
  p.insert(p.end(), timing.begin(), timing.end());
  p.push_back(Parameter::Rule("kv_scheduling", "", "NO_PREFETCH, PREFETCH_NEXT_LAYER", "PREFETCH_NEXT_LAYER",
                              "NVLLM's KV-cache-aware scheduler (REFERENCE.md, NVLLM parts)"));
  p.push_back(Parameter::Rule("kv_buffer_kib", "KiB", "0 to 1048576 (1 GiB)", "4096 (when unset; 0 is no buffer)",
                              "assumption: NVLLM's buffer layers are unsized"));
  return p;
}

absl::Status NvllmSystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::NvllmSystem* n = spec->mutable_system()->mutable_nvllm();
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.nvllm", n));
  // NVLLM's in-flash PEs multiply INT8 weights; 4-bit weights would need two
  // per byte unpacked in the PE, which the flash GEMV path does not model
  // (its requests for INT4 pages failed mid-run). Refused up front.
  if (model.weight_type == host::WeightType::kInt4) {
    return absl::InvalidArgumentError(
        "model.weight_type = INT4 is not simulated on system.nvllm (its in-flash PEs are INT8); allowed: INT8 or FP16");
  }
  // The KV-cache-aware scheduler with prefetch is part of NVLLM's design
  // (REFERENCE.md, NVLLM parts), so it is on unless the spec says otherwise.
  if (n->kv_scheduling() == v1::KV_SCHEDULING_UNSPECIFIED) n->set_kv_scheduling(v1::PREFETCH_NEXT_LAYER);
  // 4 MiB on-chip KV buffer: *typical* assumption (NVLLM's buffer layers are unsized).
  if (!n->has_kv_buffer_kib()) n->set_kv_buffer_kib(4096);
  if (!(n->kv_buffer_kib() >= 0 && n->kv_buffer_kib() <= 1 << 20)) {
    return Invalid("system.nvllm.kv_buffer_kib", n->kv_buffer_kib(), "0 to 1048576 (1 GiB)");
  }

  if (absl::Status s = nand::ValidateNandConfig(NvllmNandConfig(*n, spec->simulation())); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("system.nvllm.flash: ", s.message()));
  }
  // DRAM holds the attention weights, embeddings and the KV cache.
  const host::ParameterCount c = host::CountParameters(model.shape);
  const double dram_bytes =
      static_cast<double>((c.attention + c.embeddings) * host::WeightBits(model.weight_type) / 8 + model.kv_bytes);
  const double capacity = n->dram().capacity_gib();
  if (dram_bytes > capacity * kGiB) {
    return absl::InvalidArgumentError(absl::StrCat("system.nvllm.dram.capacity_gib = ", capacity, " cannot hold ",
                                                   absl::StrFormat("%.1f", dram_bytes / kGiB),
                                                   " GiB of attention weights, embeddings and KV cache"));
  }
  return absl::OkStatus();
}

nand::NandConfig NvllmNandConfig(const v1::NvllmSystem& n, const v1::SimulationSpec& simulation) {
  nand::NandConfig c = nand::AifDefaultNandConfig();  // AiF's measured TLC phases, ECCLITE on die
  c.fidelity = FidelityOf(simulation);
  c.geometry.channels = static_cast<uint32_t>(n.flash().channels());
  c.geometry.dies_per_channel = static_cast<uint32_t>(n.flash().dies_per_channel());
  c.geometry.planes_per_die = static_cast<uint32_t>(n.flash().planes_per_die());
  c.geometry.blocks_per_plane = static_cast<uint32_t>(n.flash().blocks_per_plane());
  c.pe.placement = nand::PePlacement::kPerPlane;  // NVLLM: PE arrays read NAND directly, per plane
  c.pe.clock_hz = static_cast<uint64_t>(n.flash().pe_clock_mhz() * 1e6);
  c.pe.macs_per_cycle = static_cast<uint32_t>(n.flash().pe_macs_per_cycle());
  c.pe.dedicated_output_path = true;  // wafer-level integration: no channel for partial sums
  ApplyNandTiming(n.flash().timing(), &c);
  return c;
}

void NvllmSystem::ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* dc) const {
  const v1::NvllmSystem& n = system.nvllm();
  dc->offload = host::DriverConfig::Offload::kFfn;
  dc->kv.policy = n.kv_scheduling() == v1::NO_PREFETCH ? host::KvPolicy::kNone : host::KvPolicy::kPrefetchNextLayer;
  dc->kv.buffer_bytes = static_cast<int64_t>(n.kv_buffer_kib() * 1024);
}

absl::Status NvllmSystem::Build(const v1::JobSpec& spec, const host::DriverConfig& dc, BuiltJob* job) const {
  job->system = "nvllm";
  sim::Simulation& sim = *job->sim;
  const auto& n = spec.system().nvllm();
  auto* logic =
      sim.Emplace<host::RooflineExecutor>("host", HostRoofline("attention_logic", n.attention_logic(), n.dram()));
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", logic->id(), "driver", kDispatchLatency));
  const nand::NandConfig nc = NvllmNandConfig(n, spec.simulation());
  auto* flash = sim.Emplace<host::FlashGemvExecutor>("flash", nc, job->shape, dc.weight_type);
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "offload", flash->id(), "driver", kDispatchLatency));
  ASSIGN_OR_RETURN(auto array, nand::BuildNandArray(nc, &sim, "nand", job->cancel));
  for (uint32_t c = 0; c < nc.geometry.channels; ++c) {
    // The dies' sequencer sits on the same wafer: 1 ns on-die wire.
    RETURN_IF_ERROR(sim.Connect(flash->id(), absl::StrCat("ch", c), array.channels[c]->id(), "host", kBoardLatency));
  }
  job->resources.push_back({"dram", [logic] { return logic->busy_time(); }, [logic] { return logic->memory_bytes(); }});
  job->resources.push_back(FlashDiesResource(array, nc.geometry.page_bytes));
  AddAttentionLogicEnergyActivity(logic, n.dram().capacity_gib(), job);
  AddNandEnergyActivity(array, nc, job);
  job->offload = flash;
  return absl::OkStatus();
}

}  // namespace strata::systems
