#include "services/systems/ssd_isc/ssd_isc_system.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/host/compute/roofline_executor.h"
#include "services/nand/flash/nand_channel.h"
#include "services/systems/core/energy_activity.h"
#include "services/systems/core/host_spec.h"
#include "services/systems/core/links.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/core/nand_spec.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/ssd_isc/isc_drive.h"
#include "services/systems/ssd_isc/isc_executor.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {
namespace {

// Which stage bounds a die's multi-plane cache-read stream: the arrays
// (planes x page per mean tR, per channel's dies) or the channel bus.
host::Category StreamBound(const nand::NandConfig& n) {
  const double array_rate = static_cast<double>(n.geometry.planes_per_die) * n.geometry.page_bytes /
                            nand::MeanReadSeconds(n) *
                            n.geometry.dies_per_channel;
  return array_rate > static_cast<double>(n.bus.bytes_per_second()) ? host::Category::kFlashBus
                                                                    : host::Category::kFlashArray;
}

}  // namespace

std::vector<host::Category> SsdIscSystem::breakdown_parts() const {
  return {host::Category::kFlashArray, host::Category::kFlashBus,  host::Category::kPeCompute,
          host::Category::kHostAttention, host::Category::kHostGemv, host::Category::kHostOther,
          host::Category::kSynchronization};
}

std::vector<Parameter> SsdIscSystem::parameters() const {
  std::vector<Parameter> p = AttentionLogicParameters();
  const std::vector<Parameter> flash = {
      {"flash.channels", "", 8, 1, 64, "assumption: as NVLLM's flash"},
      {"flash.dies_per_channel", "", 1, 1, 16, "assumption: as NVLLM's flash"},
      {"flash.planes_per_die", "", 64, 1, 128, "NVLLM: the 16C variant's dies"},
      {"flash.blocks_per_plane", "", 1366, 1, 100000, "assumption: AiF's TLC die (nand_config.h)"},
  };
  p.insert(p.end(), flash.begin(), flash.end());
  Parameter units{"compute_units", "", 0, 1, 1024, "assumption: one compute unit per channel"};
  units.default_from = std::string("flash.channels");
  p.push_back(units);
  p.push_back({"compute_clock_mhz", "MHz", 1000.0, 1.0, 10000.0, "assumption: 28 nm controller logic, NVLLM's node"});
  p.push_back({"compute_macs_per_cycle", "", 32, 1, 65536,
               "assumption: 32 INT8 MACs per unit, ~13x a channel's rate, so the channels bound the GEMV"});
  const std::vector<Parameter> timing =
      NandTimingParameters("flash.timing", 2400, "ONFI 5.0: 2400 MT/s, the top of REFERENCE.md's ONFI 4.x/5.x range");
  p.insert(p.end(), timing.begin(), timing.end());
  p.push_back(Parameter::Rule("flash.pe_clock_mhz", "MHz", "0 (no compute in the dies)", "0", "SSD-like: compute in the controller, not the dies"));
  p.push_back(Parameter::Rule("flash.pe_macs_per_cycle", "", "0 (no compute in the dies)", "0", "SSD-like: compute in the controller, not the dies"));
  for (Parameter& d : IscDriveParameters()) p.push_back(std::move(d));
  return p;
}

absl::Status SsdIscSystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::SsdIscSystem* isc = spec->mutable_system()->mutable_ssd_isc();
  v1::FlashArraySpec* f = isc->mutable_flash();
  if (f->pe_clock_mhz() != 0) return Invalid("system.ssd_isc.flash.pe_clock_mhz", f->pe_clock_mhz(), "0 (no compute in the dies)");
  if (f->pe_macs_per_cycle() != 0) {
    return Invalid("system.ssd_isc.flash.pe_macs_per_cycle", f->pe_macs_per_cycle(), "0 (no compute in the dies)");
  }
  RETURN_IF_ERROR(NormalizeIscDrive(isc));
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.ssd_isc", isc));

  if (absl::Status s = controller::ValidateControllerGemvConfig(SsdIscConfig(*isc, model.weight_type, spec->simulation()));
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("system.ssd_isc: ", s.message()));
  }
  const host::ParameterCount c = host::CountParameters(model.shape);
  const double dram_bytes =
      static_cast<double>((c.attention + c.embeddings) * host::WeightBits(model.weight_type) / 8 + model.kv_bytes);
  if (dram_bytes > isc->dram().capacity_gib() * kGiB) {
    return absl::InvalidArgumentError(absl::StrCat("system.ssd_isc.dram.capacity_gib = ", isc->dram().capacity_gib(),
                                                   " cannot hold ", absl::StrFormat("%.1f", dram_bytes / kGiB),
                                                   " GiB of attention weights, embeddings and KV cache"));
  }
  return absl::OkStatus();
}

controller::ControllerGemvConfig SsdIscConfig(const v1::SsdIscSystem& i, host::WeightType type,
                                              const v1::SimulationSpec& simulation) {
  controller::ControllerGemvConfig c;
  c.nand = nand::AifDefaultNandConfig();  // AiF's measured TLC phases and on-die ECCLITE, as NVLLM's dies
  c.nand.fidelity = FidelityOf(simulation);
  c.nand.geometry.channels = static_cast<uint32_t>(i.flash().channels());
  c.nand.geometry.dies_per_channel = static_cast<uint32_t>(i.flash().dies_per_channel());
  c.nand.geometry.planes_per_die = static_cast<uint32_t>(i.flash().planes_per_die());
  c.nand.geometry.blocks_per_plane = static_cast<uint32_t>(i.flash().blocks_per_plane());
  ApplyNandTiming(i.flash().timing(), &c.nand);
  ApplyIscDrive(i.drive(), &c.nand);
  c.nand.pe.placement = nand::PePlacement::kNone;
  c.compute_units = static_cast<uint32_t>(i.compute_units());
  c.clock_hz = static_cast<uint64_t>(i.compute_clock_mhz() * 1e6);
  c.macs_per_cycle = static_cast<uint32_t>(i.compute_macs_per_cycle());
  c.weight_bits = static_cast<uint32_t>(host::WeightBits(type));
  return c;
}

void SsdIscSystem::ConfigureDriver(const v1::SystemSpec&, host::DriverConfig* dc) const {
  dc->offload = host::DriverConfig::Offload::kFfn;  // as NVLLM
}

absl::Status SsdIscSystem::Build(const v1::JobSpec& spec, const host::DriverConfig& dc, BuiltJob* job) const {
  job->system = "ssd_isc";
  sim::Simulation& sim = *job->sim;
  const auto& i = spec.system().ssd_isc();
  auto* logic =
      sim.Emplace<host::RooflineExecutor>("host", HostRoofline("attention_logic", i.attention_logic(), i.dram()));
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", logic->id(), "driver", kDispatchLatency));
  const controller::ControllerGemvConfig config = SsdIscConfig(i, dc.weight_type, spec.simulation());
  auto* host = sim.Emplace<IscExecutor>("controller", StreamBound(config.nand));
  auto* engine = sim.Emplace<controller::ControllerGemvEngine>("controller", "isc_engine", config);
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "offload", host->id(), "driver", kDispatchLatency));
  RETURN_IF_ERROR(sim.Connect(host->id(), "engine", engine->id(), "host", kBoardLatency));
  ASSIGN_OR_RETURN(auto array, nand::BuildNandArray(config.nand, &sim, "nand", job->cancel));
  for (uint32_t c = 0; c < config.nand.geometry.channels; ++c) {
    RETURN_IF_ERROR(sim.Connect(engine->id(), absl::StrCat("ch", c), array.channels[c]->id(), "host", kChannelLink));
  }
  job->resources.push_back({"dram", [logic] { return logic->busy_time(); }, [logic] { return logic->memory_bytes(); }});
  job->resources.push_back(FlashChannelsResource(array.channels));
  AddAttentionLogicEnergyActivity(logic, i.dram().capacity_gib(), job);
  AddNandEnergyActivity(array, config.nand, job);
  // The controller's compute units: one INT8 MAC per weight byte computed.
  job->activities.push_back({"controller_macs", [engine] { return static_cast<int64_t>(engine->bytes_computed()); }});
  job->offload = host;
  return absl::OkStatus();
}

}  // namespace strata::systems
