#include "services/systems/core/energy_activity.h"

#include <utility>
#include <vector>

namespace strata::systems {

namespace {

std::string_view MemoryName(MemoryKind m) {
  switch (m) {
    case MemoryKind::kDdr5: return "ddr5";
    case MemoryKind::kLpddr5: return "lpddr5";
    case MemoryKind::kHbm2e: return "hbm2e";
  }
  return "?";
}

// Sums `per_die` over every die.
std::function<int64_t()> OverDies(std::vector<nand::NandDie*> dies, std::function<int64_t(const nand::NandDie&)> per_die) {
  return [dies = std::move(dies), per_die = std::move(per_die)] {
    int64_t sum = 0;
    for (const nand::NandDie* d : dies) sum += per_die(*d);
    return sum;
  };
}

std::function<int64_t()> OverChannels(std::vector<nand::NandChannel*> channels,
                                      std::function<int64_t(const nand::NandChannel&)> per_channel) {
  return [channels = std::move(channels), per_channel = std::move(per_channel)] {
    int64_t sum = 0;
    for (const nand::NandChannel* c : channels) sum += per_channel(*c);
    return sum;
  };
}

}  // namespace

void AddNandEnergyActivity(const nand::NandArray& array, const nand::NandConfig& config, BuiltJob* job) {
  std::vector<nand::NandDie*> dies;
  for (const auto& per_channel : array.dies) dies.insert(dies.end(), per_channel.begin(), per_channel.end());
  const int64_t page_bits = static_cast<int64_t>(config.geometry.page_bytes) * 8;
  const int64_t program_ps = config.timing.program.ps();
  const int64_t erase_ps = config.timing.erase.ps();
  job->activities.push_back({"nand_read_precharge_bits", OverDies(dies, [page_bits](const nand::NandDie& d) {
                               return static_cast<int64_t>(d.stats().pages_read - d.stats().cr_reads) * page_bits;
                             })});
  job->activities.push_back({"nand_read_sense_bits", OverDies(dies, [page_bits](const nand::NandDie& d) {
                               return static_cast<int64_t>(d.stats().pages_read) * page_bits;
                             })});
  job->activities.push_back({"nand_program_ps", OverDies(dies, [program_ps](const nand::NandDie& d) {
                               return static_cast<int64_t>(d.stats().pages_programmed) * program_ps;
                             })});
  job->activities.push_back({"nand_erase_ps", OverDies(dies, [erase_ps](const nand::NandDie& d) {
                               return static_cast<int64_t>(d.stats().blocks_erased) * erase_ps;
                             })});
  job->activities.push_back({"flash_pe_macs", OverDies(dies, [](const nand::NandDie& d) {
                               return static_cast<int64_t>(d.stats().macs);
                             })});
  job->activities.push_back({"onfi_io_bits", OverChannels(array.channels, [](const nand::NandChannel& c) {
                               return static_cast<int64_t>(c.stats().bytes_out + c.stats().bytes_in) * 8;
                             })});
  if (config.ecc.kind == nand::EccKind::kEccLite) {
    // ECCLITE decodes every page the die reads, before it leaves the die.
    job->activities.push_back({"ecclite_bits", OverDies(dies, [page_bits](const nand::NandDie& d) {
                                 return static_cast<int64_t>(d.stats().pages_read) * page_bits;
                               })});
  } else if (config.ecc.kind == nand::EccKind::kLdpc) {
    // One LDPC decode per page read over the channel (retries included).
    job->activities.push_back({"ldpc_bits", OverChannels(array.channels, [page_bits](const nand::NandChannel& c) {
                                 return static_cast<int64_t>(c.stats().ldpc_decodes) * page_bits;
                               })});
  }
  job->static_loads.push_back({"nand_die_static", static_cast<double>(dies.size())});
}

void AddMemoryTraffic(MemoryKind memory, std::function<int64_t()> bytes, BuiltJob* job) {
  job->activities.push_back(
      {std::string(MemoryName(memory)) + "_bits", [bytes = std::move(bytes)] { return bytes() * 8; }});
}

void AddPcieTraffic(std::function<int64_t()> bytes, BuiltJob* job) {
  job->activities.push_back({"pcie_bits", [bytes = std::move(bytes)] { return bytes() * 8; }});
}

void AddDesktopCpuEnergyActivity(const host::RooflineExecutor* cpu, double dram_gib, BuiltJob* job) {
  job->activities.push_back({"desktop_cpu_busy_ps", [cpu] { return cpu->busy_time().ps(); }});
  AddMemoryTraffic(MemoryKind::kDdr5, [cpu] { return cpu->memory_bytes(); }, job);
  job->static_loads.push_back({"desktop_cpu_static", 1});
  job->static_loads.push_back({"ddr5_static", dram_gib});
}

void AddAttentionLogicEnergyActivity(const host::RooflineExecutor* logic, double dram_gib, BuiltJob* job) {
  // A MAC is two flops.
  job->activities.push_back({"logic_macs", [logic] { return logic->flops() / 2; }});
  AddMemoryTraffic(MemoryKind::kLpddr5, [logic] { return logic->memory_bytes(); }, job);
  job->static_loads.push_back({"lpddr5_static", dram_gib});
}

void AddGpuEnergyActivity(const host::RooflineExecutor* gpu, BuiltJob* job) {
  job->activities.push_back({"a800_gpu_busy_ps", [gpu] { return gpu->busy_time().ps(); }});
  AddMemoryTraffic(MemoryKind::kHbm2e, [gpu] { return gpu->memory_bytes(); }, job);
  job->static_loads.push_back({"a800_gpu_static", 1});
}

}  // namespace strata::systems
