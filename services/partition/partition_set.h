// PartitionSet: what a service runs for one RunPartitions stream. From a
// LoadPartitions message it rebuilds the run's whole component graph
// (BuildJob for an LLM job, BuildPhold for PHOLD: both deterministic, so
// component ids match the coordinator's), checks the plan against it, and
// runs only the partitions it was given with a PartitionRunner. No gRPC
// here: the stream glue is in partition_server.cc.
#ifndef STRATA_PARTITION_PARTITION_SET_H_
#define STRATA_PARTITION_PARTITION_SET_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "services/systems/job/build_job.h"
#include "services/systems/job/job_spec.h"
#include "services/systems/core/model_figures.h"
#include "strata/sim/engine.h"
#include "strata/sim/simulation.h"
#include "strata/sim/transport.h"
#include "strata/v1/partition_service.pb.h"

namespace strata::partition {

// A run's component graph, built from a LoadPartitions message.
struct BuiltModel {
  std::unique_ptr<sim::Simulation> phold;       // PHOLD
  std::optional<systems::BuiltJob> job;     // LLM job
  sim::Simulation& sim() { return job ? *job->sim : *phold; }
  const sim::Simulation& sim() const { return job ? *job->sim : *phold; }
};
// INVALID_ARGUMENT naming the field when the model does not build.
absl::StatusOr<BuiltModel> BuildModel(const v1::LoadPartitions& load);

// The kernel run options a LoadPartitions message asks for.
sim::RunOptions RunOptionsOf(const v1::LoadPartitions& load);
v1::PartitionPlan ToProto(const sim::PartitionPlan& plan);
v1::PartitionStatistics ToProto(const sim::PartitionStats& stats);
sim::PartitionStats FromProto(const v1::PartitionStatistics& stats);

// PHOLD loads: the proto's documented bounds, and at most 2^22 initial
// events (256 MiB of 64-byte events; PHOLD keeps about that many pending).
inline constexpr int kMaxPholdLps = 1'000'000;
inline constexpr int kMaxPholdEventsPerLp = 1'000;
inline constexpr int64_t kMaxPholdEvents = int64_t{1} << 22;

class PartitionSet {
 public:
  // Called about once a second from a monitor thread while running, with
  // the latest model snapshot of each local partition.
  using ProgressFn =
      std::function<void(const v1::PartitionsProgress&, const std::vector<systems::ModelFigures>&)>;
  // INVALID_ARGUMENT naming the field: a model that does not build, a plan
  // that does not fit the graph, a local partition out of range, a
  // zero-latency link between partitions.
  static absl::StatusOr<std::unique_ptr<PartitionSet>> Load(const v1::LoadPartitions& load, ProgressFn progress);

  uint32_t components() const { return static_cast<uint32_t>(model_.sim().size()); }
  // Runs the local partitions to the end of the run (everywhere).
  absl::Status Run(sim::Transport& transport);
  // The latest model figures of each local partition. While Run goes on
  // they are snapshots each partition's own thread published between
  // events (the kernel's on_sample: about kModelSampleInterval old, or as
  // old as its last batch or wait); after Run they are final. Any thread.
  std::vector<systems::ModelFigures> ModelSnapshots() const;
  static constexpr std::chrono::milliseconds kModelSampleInterval{500};
  // After Run: the local partitions' statistics and end state.
  v1::PartitionsDone Done(const absl::Status& status) const;
  // Finishes the local components at the global final time: digests in id
  // order and, for an LLM job, the figures its result is computed from.
  v1::PartitionsReport Report(sim::SimTime global_final_time);

 private:
  explicit PartitionSet(BuiltModel model) : model_(std::move(model)) {}
  bool RanHere(sim::ComponentId id) const;

  BuiltModel model_;
  sim::PartitionPlan plan_;
  std::vector<bool> local_;  // by partition
  std::unique_ptr<sim::PartitionRunner> runner_;
  mutable std::mutex model_mu_;
  std::vector<systems::ModelFigures> published_;  // by partition
};

}  // namespace strata::partition

#endif  // STRATA_PARTITION_PARTITION_SET_H_
