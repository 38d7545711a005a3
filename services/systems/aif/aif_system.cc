#include "services/systems/aif/aif_system.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/host/compute/roofline_executor.h"
#include "services/nand/flash/nand_channel.h"
#include "services/systems/aif/aif_drive.h"
#include "services/systems/aif/aif_executor.h"
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

// Parallel AiF: checks an explicit host share against the host DRAM, or
// picks the auto share (0): s = B_dram / (B_dram + B_ssd) balances the host's
// s x W bytes at B_dram against the SSD's (1 - s) x W at B_ssd (both sides
// stream their weights once per token; per-command and per-op overheads are
// left out of the estimate), capped so the host's rows fit in DRAM beside
// the KV cache.
absl::Status ChooseAifHostShare(const host::ModelShape& shape, int64_t kv_bytes, const v1::SimulationSpec& sim,
                                v1::AifSystem* a) {
  if (a->execution() != v1::PARALLEL) return absl::OkStatus();
  const double capacity = a->dram().capacity_gib() * kGiB - static_cast<double>(kv_bytes);
  auto fits = [&](double s) { return static_cast<double>(AifExecutor::HostResidentBytes(shape, s)) <= capacity; };
  if (a->host_share() > 0) {
    if (fits(a->host_share())) return absl::OkStatus();
    return Invalid("system.aif.host_share", a->host_share(),
                   absl::StrCat("0 (auto) to ", absl::StrFormat("%.4f", capacity / AifExecutor::HostResidentBytes(shape, 1.0)),
                                ": the host's rows of every matrix (",
                                absl::StrFormat("%.1f", AifExecutor::HostResidentBytes(shape, a->host_share()) / kGiB),
                                " GiB at this share) and the KV cache must fit system.aif.dram.capacity_gib = ",
                                a->dram().capacity_gib()));
  }
  const double dram = SustainedBytesPerSecond(a->dram());
  const double ssd = AifInternalBytesPerSecond(AifConfig(*a, sim));
  double share = std::min(dram / (dram + ssd), capacity / static_cast<double>(AifExecutor::HostResidentBytes(shape, 1.0)));
  while (share > 0 && !fits(share)) share *= 0.999;  // per-matrix rounding of the rows
  if (!(share > 0) || AifExecutor::HostResidentBytes(shape, share) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("system.aif.dram.capacity_gib = ", a->dram().capacity_gib(),
                                                   " leaves no room beside the KV cache for the host's share of "
                                                   "parallel execution; allowed: more, or execution: SERIAL"));
  }
  a->set_host_share(share);
  return absl::OkStatus();
}

}  // namespace

std::vector<host::Category> AifSystem::breakdown_parts() const {
  return {host::Category::kFlashArray, host::Category::kEcc,           host::Category::kFlashBus,
          host::Category::kPeCompute,  host::Category::kHostAttention, host::Category::kHostGemv,
          host::Category::kHostOther,  host::Category::kPcieNvme,      host::Category::kSynchronization};
}

std::vector<Parameter> AifSystem::parameters() const {
  // The paper's host with 8 GB of DRAM (REFERENCE.md: "AiF: 8 GB DRAM + AiF SSD").
  std::vector<Parameter> p = DesktopHostParameters("cpu", "dram", 8.0);
  p.push_back({"channels", "", 8, 1, 64, "AiF: 8 channels"});
  p.push_back({"chips_per_channel", "", 2, 1, 16, "AiF: 2 chips per channel; services/nand's limit is 16 dies"});
  const std::vector<Parameter> timing = NandTimingParameters(
      "timing", nand::AifDefaultNandConfig().bus.mega_transfers_per_s, "AiF: ONFI 2.0 GB/s on an 8-bit bus");
  p.insert(p.end(), timing.begin(), timing.end());
  p.push_back(Parameter::Rule("without_cr_read_and_be_enc", "", "true or false", "false", "AiF's AiF-- baseline: no cr-read, no be-enc"));
  p.push_back(Parameter::Rule("execution", "", "SERIAL, PARALLEL", "SERIAL", "AiF Fig. 15c: parallel host/SSD execution"));
  p.push_back(Parameter::Rule("host_share", "", "0 (auto) to below 1; 0 under SERIAL; the host's rows and the KV cache must fit dram.capacity_gib", "0: auto, B_dram / (B_dram + B_ssd)", "the balance of both sides' weight streams"));
  for (Parameter& d : AifDriveParameters()) p.push_back(std::move(d));
  return p;
}

absl::Status AifSystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::AifSystem* a = spec->mutable_system()->mutable_aif();
  RETURN_IF_ERROR(NormalizeAifDrive(a));
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.aif", a));
  if (a->execution() == v1::AIF_EXECUTION_UNSPECIFIED) a->set_execution(v1::SERIAL);
  if (a->execution() == v1::SERIAL && a->host_share() != 0) {
    return Invalid("system.aif.host_share", a->host_share(), "0 under execution SERIAL (set execution: PARALLEL)");
  }
  if (!(a->host_share() >= 0 && a->host_share() < 1)) {
    return Invalid("system.aif.host_share", a->host_share(), "0 (auto) to below 1");
  }

  if (spec->model().weight_type() != v1::INT8) {
    return absl::InvalidArgumentError("model.weight_type: AiF's in-chip PEs multiply INT8; allowed: INT8");
  }
  if (absl::Status s = controller::ValidateAifSsdConfig(AifConfig(*a, spec->simulation())); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("system.aif: ", s.message()));
  }
  const double capacity = a->dram().capacity_gib();
  if (static_cast<double>(model.kv_bytes) > capacity * kGiB) {
    return absl::InvalidArgumentError(absl::StrCat("system.aif.dram.capacity_gib = ", capacity,
                                                   " cannot hold the KV cache (",
                                                   absl::StrFormat("%.1f", model.kv_bytes / kGiB), " GiB)"));
  }
  return ChooseAifHostShare(model.shape, model.kv_bytes, spec->simulation(), a);
}

controller::AifSsdConfig AifConfig(const v1::AifSystem& a, const v1::SimulationSpec& simulation) {
  controller::AifSsdConfig c;  // AifDefaultNandConfig: the paper's SSD, ECCLITE on die, PE per chip
  c.nand.fidelity = FidelityOf(simulation);
  c.nand.geometry.channels = static_cast<uint32_t>(a.channels());
  c.nand.geometry.dies_per_channel = static_cast<uint32_t>(a.chips_per_channel());
  ApplyNandTiming(a.timing(), &c.nand);
  c.nand.timing.cr_read = !a.without_cr_read_and_be_enc();
  c.be_enc = !a.without_cr_read_and_be_enc();
  ApplyAifDrive(a.drive(), &c);
  c.record_commands = false;  // a long job would keep every command's record
  return c;
}

// cr-read on be-enc LSB pages: t_RECY + t_EVAL; be-enc without cr-read: the
// LSB's precharge + one sense + discharge; AiF--: the mean tR of the
// (2,3,2) page types. Defaults: 16 chips x min(4 x 16 KiB / 9.7 us, 6.4,
// 6.4 GB/s) = 102.4 GB/s, the paper's figure (REFERENCE.md).
double AifInternalBytesPerSecond(const controller::AifSsdConfig& c) {
  const nand::NandTiming& t = c.nand.timing;
  const nand::NandGeometry& g = c.nand.geometry;
  const double tr_s =
      c.be_enc ? (t.cr_read ? t.recycle + t.sense_per_level : t.precharge + t.sense_per_level + t.discharge).ToSeconds()
               : nand::MeanReadSeconds(c.nand);
  double chip = static_cast<double>(g.planes_per_die) * g.page_bytes / tr_s;
  chip = std::min(chip, static_cast<double>(c.nand.pe.clock_hz) * c.nand.pe.macs_per_cycle);
  if (c.nand.ecc.kind == nand::EccKind::kEccLite) chip = std::min(chip, static_cast<double>(c.nand.ecc.ecclite_bytes_per_s));
  return chip * g.dies();
}

void AifSystem::ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* dc) const {
  dc->offload = host::DriverConfig::Offload::kAllGemv;  // AiF offloads every decode GEMV
  dc->wait_for_offload_ready = true;                    // after aif_post has placed the weights
  if (system.aif().execution() == v1::PARALLEL) dc->offload_host_share = system.aif().host_share();
}

absl::Status AifSystem::Build(const v1::JobSpec& spec, const host::DriverConfig& dc, BuiltJob* job) const {
  const auto& a = spec.system().aif();
  job->system = a.without_cr_read_and_be_enc() ? "aif--" : "aif";
  sim::Simulation& sim = *job->sim;
  auto* cpu = sim.Emplace<host::RooflineExecutor>("host", HostRoofline("cpu", a.cpu(), a.dram()));
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", cpu->id(), "driver", kDispatchLatency));
  const controller::AifSsdConfig config = AifConfig(a, spec.simulation());
  auto* host = sim.Emplace<AifExecutor>("aif", job->shape, dc.offload_host_share);
  auto* ssd = sim.Emplace<controller::AifSsd>("aif", "aif_ssd", config);
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "offload", host->id(), "driver", kDispatchLatency));
  // The NVMe link's latencies are inside AifSsd; this 1 ns hop is the driver call.
  RETURN_IF_ERROR(sim.Connect(host->id(), "ssd", ssd->id(), "host", kBoardLatency));
  ASSIGN_OR_RETURN(auto array, nand::BuildNandArray(config.nand, &sim, "nand", job->cancel));
  for (uint32_t c = 0; c < config.nand.geometry.channels; ++c) {
    RETURN_IF_ERROR(
        sim.Connect(ssd->id(), absl::StrCat("ch", c), array.channels[c]->id(), "host", config.channel_link));
  }
  job->resources.push_back({"dram", [cpu] { return cpu->busy_time(); }, [cpu] { return cpu->memory_bytes(); }});
  AddDesktopCpuEnergyActivity(cpu, a.dram().capacity_gib(), job);
  AddNandEnergyActivity(array, config.nand, job);
  // Over PCIe: the weights aif_post places and the partial sums returned
  // (the input vectors, a few KiB a GEMV, are not counted).
  AddPcieTraffic([ssd] { return static_cast<int64_t>(ssd->stats().weight_bytes + ssd->stats().partial_sum_bytes); },
                 job);
  job->offload = host;
  job->setup = BuiltJob::Setup{host->id(), [host] { return host->placement_time(); }};
  return absl::OkStatus();
}

}  // namespace strata::systems
