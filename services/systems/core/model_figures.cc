#include "services/systems/core/model_figures.h"

#include <algorithm>
#include <string>

#include "services/nand/flash/nand_channel.h"
#include "services/nand/flash/nand_die.h"
#include "services/controller/ssd/ssd_controller.h"

namespace strata::systems {
namespace {

constexpr ModelFigureInfo kInfo[kModelFigureCount] = {
    {"strata_nand_die_busy_seconds_total", "NAND die busy time (simulated), summed over the partition's dies", true},
    {"strata_nand_channel_busy_seconds_total", "NAND channel bus busy time (simulated), summed over channels", true},
    {"strata_nand_pages_read_total", "NAND pages read from the array", true},
    {"strata_nand_pages_programmed_total", "NAND pages programmed", true},
    {"strata_nand_ecc_corrected_codewords_total", "Codewords corrected by channel LDPC or in-die ECCLITE", true},
    {"strata_nand_ecc_uncorrectable_pages_total", "Pages ECC could not correct (LDPC or ECCLITE)", true},
    {"strata_ssd_gc_invocations_total", "FTL garbage collections (victim blocks collected)", true},
    {"strata_ssd_die_queue_depth_peak", "Deepest per-die command queue in the SSD controller so far", false},
    {"strata_ssd_die_queued_ops", "Flash ops queued at the SSD controller's dies now, summed over dies", false},
};

// Statistic name -> figure, for the components that report by name.
struct ByName {
  std::string_view statistic;
  ModelFigure figure;
};
constexpr ByName kDie[] = {
    {"busy_seconds", ModelFigure::kDieBusySeconds},
    {"pages_read_total", ModelFigure::kPagesRead},
    {"pages_programmed_total", ModelFigure::kPagesProgrammed},
    {"ecclite_corrected_codewords_total", ModelFigure::kEccCorrectedCodewords},
    {"ecclite_failed_pages_total", ModelFigure::kEccUncorrectablePages},
};
constexpr ByName kChannel[] = {
    {"bus_busy_seconds", ModelFigure::kChannelBusySeconds},
    {"corrected_codewords_total", ModelFigure::kEccCorrectedCodewords},
    {"uncorrectable_pages_total", ModelFigure::kEccUncorrectablePages},
};

template <size_t N>
void AddByName(const sim::Component& c, const ByName (&table)[N], std::vector<sim::Statistic>* scratch,
               ModelFigures* out) {
  scratch->clear();
  c.CollectStatistics(scratch);
  for (const sim::Statistic& s : *scratch) {
    for (const ByName& b : table) {
      if (s.name == b.statistic) (*out)[b.figure] += s.value;
    }
  }
}

}  // namespace

const ModelFigureInfo& InfoOf(ModelFigure figure) { return kInfo[static_cast<int>(figure)]; }

void AddModelFigures(const sim::Component& c, std::vector<sim::Statistic>* scratch, ModelFigures* out) {
  if (dynamic_cast<const nand::NandDie*>(&c) != nullptr) return AddByName(c, kDie, scratch, out);
  if (dynamic_cast<const nand::NandChannel*>(&c) != nullptr) return AddByName(c, kChannel, scratch, out);
  if (const auto* ssd = dynamic_cast<const controller::SsdController*>(&c)) {
    (*out)[ModelFigure::kGcInvocations] += static_cast<double>(ssd->ftl().stats().gc_victims);
    double& peak = (*out)[ModelFigure::kDieQueueDepthPeak];
    peak = std::max(peak, static_cast<double>(ssd->stats().max_die_queue));
    (*out)[ModelFigure::kDieQueuedOps] += static_cast<double>(ssd->QueuedOps());
  }
}

std::function<void(sim::PartitionId, const std::vector<sim::ComponentId>&)> ModelSampler(
    const sim::Simulation& sim, std::function<void(const ModelFigures&)> sink) {
  return [&sim, sink = std::move(sink)](sim::PartitionId partition, const std::vector<sim::ComponentId>& ids) {
    thread_local std::vector<sim::Statistic> scratch;  // one partition per thread at a time
    ModelFigures figures;
    figures.partition = static_cast<int>(partition);
    for (sim::ComponentId id : ids) AddModelFigures(sim.component(id), &scratch, &figures);
    sink(figures);
  };
}

}  // namespace strata::systems
