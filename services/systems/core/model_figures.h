// ModelFigures: a partition's model figures for live metrics, summed over
// its components (never one series per die: the label set stays bounded by
// the partition count). Taken from the components' CollectStatistics, so a
// snapshot must be taken on the thread that runs the partition, between
// events (PartitionSet samples at window boundaries); the snapshot itself
// is plain data that any thread may read.
#ifndef STRATA_SYSTEMS_CORE_MODEL_FIGURES_H_
#define STRATA_SYSTEMS_CORE_MODEL_FIGURES_H_

#include <array>
#include <functional>
#include <string_view>
#include <vector>

#include "strata/sim/component.h"
#include "strata/sim/simulation.h"

namespace strata::systems {

enum class ModelFigure {
  kDieBusySeconds,          // NAND dies: time busy (array, transfer, compute), summed over dies
  kChannelBusySeconds,      // NAND channels: bus busy time, summed over channels
  kPagesRead,               // NAND pages read (array reads)
  kPagesProgrammed,         // NAND pages programmed
  kEccCorrectedCodewords,   // channel LDPC + in-die ECCLITE codewords corrected
  kEccUncorrectablePages,   // channel LDPC uncorrectable + ECCLITE failed pages
  kGcInvocations,           // FTL garbage collections (victim blocks collected)
  kDieQueueDepthPeak,       // SSD controller: deepest per-die queue so far
  kDieQueuedOps,            // SSD controller: flash ops queued at its dies now, all dies
  kCount,
};
inline constexpr int kModelFigureCount = static_cast<int>(ModelFigure::kCount);

struct ModelFigureInfo {
  std::string_view metric;  // Prometheus name
  std::string_view help;
  bool counter;             // false: gauge
};
const ModelFigureInfo& InfoOf(ModelFigure figure);

struct ModelFigures {
  int partition = 0;
  std::array<double, kModelFigureCount> value{};
  double& operator[](ModelFigure f) { return value[static_cast<int>(f)]; }
  double operator[](ModelFigure f) const { return value[static_cast<int>(f)]; }
};

// Adds `component`'s figures to `out` (components without any add nothing).
// `scratch` is reused between calls to avoid reallocating.
void AddModelFigures(const sim::Component& component, std::vector<sim::Statistic>* scratch, ModelFigures* out);
// A kernel RunOptions::on_sample: on each partition's own thread, sums the
// figures of the partition's components and hands them to `sink`.
std::function<void(sim::PartitionId, const std::vector<sim::ComponentId>&)> ModelSampler(
    const sim::Simulation& sim, std::function<void(const ModelFigures&)> sink);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_MODEL_FIGURES_H_
