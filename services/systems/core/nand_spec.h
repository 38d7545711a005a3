// The flash parts of a job spec as services/nand takes them: the read
// phases and channel rate (NandTimingSpec, in µs and MT/s at the proto
// boundary, SimTime inside), the fidelity, and the channels' utilisation.
#ifndef STRATA_SYSTEMS_CORE_NAND_SPEC_H_
#define STRATA_SYSTEMS_CORE_NAND_SPEC_H_

#include <cstdint>
#include <vector>

#include "services/nand/flash/nand_channel.h"
#include "services/nand/flash/nand_config.h"
#include "services/systems/core/built_job.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// A normalised NandTimingSpec into `config` (µs -> SimTime, the one conversion).
void ApplyNandTiming(const v1::NandTimingSpec& timing, nand::NandConfig* config);
// simulation.fidelity as the NAND model's (unset: STREAM, the default).
nand::Fidelity FidelityOf(v1::Fidelity fidelity);
nand::Fidelity FidelityOf(const v1::SimulationSpec& simulation);

// The flash channels' mean bus utilisation and the bytes they moved out.
BuiltJob::Resource FlashChannelsResource(std::vector<nand::NandChannel*> channels);
// The in-flash compute dies' mean busy share and the page bytes their PEs
// computed on (NVLLM, Cambricon-LLM: systems whose dies do the GEMVs).
BuiltJob::Resource FlashDiesResource(const nand::NandArray& array, uint32_t page_bytes);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_NAND_SPEC_H_
