// What each kind of device counts for the energy accounting
// (energy_model.h): systems call these while building their graph, so a
// device counts the same activity in every system it appears in.
#ifndef STRATA_SYSTEMS_CORE_ENERGY_ACTIVITY_H_
#define STRATA_SYSTEMS_CORE_ENERGY_ACTIVITY_H_

#include <string>

#include "services/host/compute/roofline_executor.h"
#include "services/nand/flash/nand_channel.h"
#include "services/nand/flash/nand_config.h"
#include "services/systems/core/built_job.h"

namespace strata::systems {

// NAND dies and channels: bits read by phase (precharge only on reads that
// are not cr-reads), program and erase time, ONFI bits both ways, bits
// decoded by ECCLITE on the dies or LDPC in the channels, PE MACs; and each
// die's standby power.
void AddNandEnergyActivity(const nand::NandArray& array, const nand::NandConfig& config, BuiltJob* job);

// The memory a processor reads and writes: "ddr5", "lpddr5" or "hbm2e".
enum class MemoryKind { kDdr5, kLpddr5, kHbm2e };
// A desktop CPU with its DRAM: busy time above idle, its memory traffic, the
// package's idle power and the DRAM's background power per GiB.
void AddDesktopCpuEnergyActivity(const host::RooflineExecutor* cpu, double dram_gib, BuiltJob* job);
// NVLLM-style attention logic beside LPDDR5: the MACs of the ops it ran,
// its memory traffic, the LPDDR5's background power.
void AddAttentionLogicEnergyActivity(const host::RooflineExecutor* logic, double dram_gib, BuiltJob* job);
// An A800-class GPU: busy time, HBM2e traffic, idle board power.
void AddGpuEnergyActivity(const host::RooflineExecutor* gpu, BuiltJob* job);
// Bytes of `memory` moved that no processor above counts (e.g. host DRAM
// feeding PCIe), as a named activity.
void AddMemoryTraffic(MemoryKind memory, std::function<int64_t()> bytes, BuiltJob* job);
// Bytes over PCIe.
void AddPcieTraffic(std::function<int64_t()> bytes, BuiltJob* job);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_ENERGY_ACTIVITY_H_
