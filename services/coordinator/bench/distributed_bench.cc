// strata-distributed-bench: the same run on the threaded engine and on the
// gRPC transport (one partition service per partition, in this process,
// over TCP loopback), with events/s, the ratio, and synchronisation cost
// per committed event. PHOLD by default; --job runs an LLM job instead.
// A bench prints figures; nothing here is a pass/fail test.
#include <cstdio>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "distributed/distributed_run.h"
#include "services/coordinator/job/job_runner.h"
#include "partition_server.h"
#include "partition_set.h"
#include "strata/sim/digest.h"
#include "strata/sim/engine.h"
#include "strata/sim/partitioner.h"
#include "strata/common/command_line.h"

ABSL_FLAG(int, partitions, 2, "partitions; each gets its own partition service (1 to 64)");
ABSL_FLAG(int, lps, 1024, "PHOLD logical processes");
ABSL_FLAG(int, events_per_lp, 16, "PHOLD initial events per LP");
ABSL_FLAG(double, remote, 0.1, "PHOLD fraction of events sent to another LP, 0 to 1");
ABSL_FLAG(double, lookahead_ns, 1000, "PHOLD LP-to-LP latency in ns: the lookahead");
ABSL_FLAG(double, mean_delay_ns, 1000, "PHOLD mean exponential delay in ns");
ABSL_FLAG(double, end_us, 2000, "PHOLD simulated end time in us");
ABSL_FLAG(std::string, sync, "window", "window | null");
ABSL_FLAG(std::string, job, "", "an LLM job spec (textproto) to run instead of PHOLD");
ABSL_FLAG(std::string, wire, "auto",
          "window sync between the services: peer (all to all) | star (via partition 0) | hub (through the "
          "coordinator) | auto (peer for 2 partitions, star for more); null messages always use the hub");
ABSL_FLAG(int, repeat, 1, "runs of each engine; the best rate is printed");
ABSL_FLAG(std::vector<std::string>, scaling, {},
          "partition counts (e.g. 1,2,4): instead of one comparison, print the scaling table: for each count, "
          "threaded and over gRPC on loopback, wall time, events/s, speedup over the first count, sync cost "
          "(--services does not apply)");
ABSL_FLAG(std::vector<std::string>, services, {},
          "partition services already running (HOST:PORT, one per partition, e.g. strata-host processes); "
          "empty: one in this process per partition");

namespace {

using strata::sim::PartitionStats;
using strata::sim::SimTime;
namespace coordinator = strata::coordinator;
namespace partition = strata::partition;
namespace v1 = strata::v1;

struct Figures {
  uint64_t events = 0;
  double wall = 0;  // the partition loops: longest partition
  uint64_t digest = 0;
  strata::sim::SyncCost sync;
  double rate() const { return wall > 0 ? static_cast<double>(events) / wall : 0; }
};

Figures FromStats(const std::vector<PartitionStats>& stats, uint64_t events, uint64_t digest) {
  Figures f{events, 0, digest, strata::sim::SyncCostOf(stats)};
  for (const PartitionStats& s : stats) f.wall = std::max(f.wall, s.wall_seconds);
  return f;
}

void Print(const char* name, const Figures& f) {
  const double e = static_cast<double>(std::max<uint64_t>(1, f.events));
  std::printf("%-12s %12llu events %9.3f s %12.4g events/s  windows/event %.3g  null messages/event %.3g  "
              "messages/event %.3g  blocked %.0f%%  digest %s\n",
              name, static_cast<unsigned long long>(f.events), f.wall, f.rate(), f.sync.windows / e,
              f.sync.null_messages / e, f.sync.messages / e, 100 * f.sync.blocked_fraction,
              strata::sim::DigestToHex(f.digest).c_str());
}

// What each partition holds (its groups, by name) and the lookahead
// between partitions: the figures that decide how much a window can hold.
void PrintPlan(const strata::sim::Simulation& sim, const strata::sim::PartitionPlan& plan) {
  std::vector<std::map<std::string, int>> groups(plan.partition_count);
  for (size_t c = 0; c < sim.size(); ++c) {
    const std::string& g = sim.group(static_cast<strata::sim::ComponentId>(c));
    ++groups[plan.partition_of[c]][g.empty() ? "(ungrouped)" : g];
  }
  const strata::sim::LookaheadTable lookahead(sim, plan);
  for (int p = 0; p < plan.partition_count; ++p) {
    std::string held;
    for (const auto& [g, n] : groups[p]) absl::StrAppend(&held, held.empty() ? "" : ", ", g, " x", n);
    std::string to;
    for (int q = 0; q < plan.partition_count; ++q) {
      if (q == p) continue;
      const SimTime l = lookahead.Get(static_cast<strata::sim::PartitionId>(p), static_cast<strata::sim::PartitionId>(q));
      absl::StrAppend(&to, " ->", q, " ", l.IsInfinite() ? std::string("none") : absl::StrCat(l.ps(), " ps"));
    }
    std::printf("partition %d: %s; lookahead%s\n", p, held.c_str(), to.c_str());
  }
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "strata-distributed-bench: %s\n", std::string(s.message()).c_str());
  return 2;
}

}  // namespace

// The same run on the threaded engine, best of `repeat`.
absl::StatusOr<Figures> RunThreaded(const v1::LoadPartitions& load, const strata::sim::PartitionPlan& plan,
                                    int repeat) {
  Figures best;
  for (int r = 0; r < repeat; ++r) {
    auto fresh = partition::BuildModel(load);
    if (!fresh.ok()) return fresh.status();
    strata::sim::RunOptions options = partition::RunOptionsOf(load);
    options.partitions = plan.partition_count;
    options.plan = plan;
    auto run = strata::sim::Run(fresh->sim(), options);
    if (!run.ok()) return run.status();
    const Figures f = FromStats(run->partitions, run->committed_events, run->digest);
    if (f.rate() > best.rate()) best = f;
  }
  return best;
}

// The scaling table: one row per partition count and engine.
int PrintScaling(v1::LoadPartitions load, const strata::sim::Simulation& sim, int repeat) {
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("%-10s %-11s %10s %12s %8s %13s %14s %12s %8s\n", "partitions", "engine", "wall_s", "events/s",
              "speedup", "windows/event", "events/window", "nulls/event", "blocked");
  double base = 0;
  for (const std::string& count : absl::GetFlag(FLAGS_scaling)) {
    int n = 0;
    if (!absl::SimpleAtoi(count, &n) || n < 1 || n > 64) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("--scaling has '", count, "'; allowed: 1 to 64")));
    }
    auto plan = strata::sim::PartitionByGroup(sim, n);
    if (!plan.ok()) return Fail(plan.status());
    *load.mutable_plan() = partition::ToProto(*plan);
    std::vector<std::pair<std::string, Figures>> rows;
    auto threaded = RunThreaded(load, *plan, repeat);
    if (!threaded.ok()) return Fail(threaded.status());
    rows.emplace_back("threads", *threaded);
    if (n > 1) {
      std::vector<std::unique_ptr<partition::PartitionServer>> servers;
      coordinator::DistributedRunRequest request;
      request.load = load;
      request.placement.plan = *plan;
      request.components = static_cast<uint32_t>(sim.size());
      for (int p = 0; p < n; ++p) {
        auto server = partition::PartitionServer::Start({v1::HOST, "127.0.0.1:0", nullptr});
        if (!server.ok()) return Fail(server.status());
        request.placement.service.push_back({v1::HOST, absl::StrCat("127.0.0.1:", (*server)->port())});
        request.placement.groups.push_back({absl::StrCat("bench partition ", p)});
        servers.push_back(std::move(*server));
      }
      Figures best;
      for (int r = 0; r < repeat; ++r) {
        auto run = coordinator::RunDistributed(request);
        if (!run.ok()) return Fail(run.status());
        const Figures f = FromStats(run->partitions, run->committed_events, run->digest);
        if (f.rate() > best.rate()) best = f;
      }
      rows.emplace_back("grpc", best);
      for (auto& server : servers) server->Shutdown();
    }
    for (const auto& [engine, f] : rows) {
      if (base == 0) base = f.wall;
      const double e = static_cast<double>(std::max<uint64_t>(1, f.events));
      const double windows = static_cast<double>(f.sync.windows);
      std::printf("%-10s %-11s %10.3f %12.4g %7.2fx %13.3g %14.4g %12.3g %7.0f%%  digest %s%s\n",
                  count.c_str(), engine.c_str(), f.wall, f.rate(), f.wall > 0 ? base / f.wall : 0, windows / e,
                  windows > 0 ? e / windows : 0, f.sync.null_messages / e, 100 * f.sync.blocked_fraction,
                  strata::sim::DigestToHex(f.digest).c_str(),
                  n > static_cast<int>(cores) ? "  (oversubscribed: more partitions than cores)" : "");
      std::fflush(stdout);
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  partition::SelectPollingEngine();  // as the services do; GRPC_POLL_STRATEGY overrides
  strata::ParseCommandLineOrExit(argc, argv, "strata-distributed-bench",
                                 "strata-distributed-bench [--partitions=N] [--sync=window|null] [--job=FILE] "
                                 "[PHOLD flags as strata-phold]");
  const int n = absl::GetFlag(FLAGS_partitions);
  if (n < 1 || n > 64) return Fail(absl::InvalidArgumentError(absl::StrCat("partitions = ", n, "; allowed: 1 to 64")));
  auto sync = strata::sim::ParseSyncAlgorithm(absl::GetFlag(FLAGS_sync));
  if (!sync.ok()) return Fail(sync.status());

  v1::LoadPartitions load;
  load.set_run_id("bench");
  load.set_sync(*sync == strata::sim::SyncAlgorithm::kNullMessage ? v1::NULL_MESSAGE : v1::WINDOW);
  if (!absl::GetFlag(FLAGS_job).empty()) {
    auto spec = coordinator::LoadJobSpec(absl::GetFlag(FLAGS_job));
    if (!spec.ok()) return Fail(spec.status());
    auto normalized = coordinator::NormalizeJobSpec(*spec);
    if (!normalized.ok()) return Fail(normalized.status());
    *load.mutable_job() = *normalized;
    load.set_seed(normalized->simulation().seed());
  } else {
    v1::PholdSpec* p = load.mutable_phold();
    p->set_lps(absl::GetFlag(FLAGS_lps));
    p->set_events_per_lp(absl::GetFlag(FLAGS_events_per_lp));
    p->set_remote_fraction(absl::GetFlag(FLAGS_remote));
    p->set_lookahead_ps(SimTime::FromNanoseconds(absl::GetFlag(FLAGS_lookahead_ns)).ps());
    p->set_mean_delay_ps(SimTime::FromNanoseconds(absl::GetFlag(FLAGS_mean_delay_ns)).ps());
    load.set_end_time_ps(SimTime::FromMicroseconds(absl::GetFlag(FLAGS_end_us)).ps());
    load.set_seed(1);
  }
  auto model = partition::BuildModel(load);
  if (!model.ok()) return Fail(model.status());
  if (!absl::GetFlag(FLAGS_scaling).empty()) return PrintScaling(load, model->sim(), absl::GetFlag(FLAGS_repeat));
  auto plan = strata::sim::PartitionByGroup(model->sim(), n);
  if (!plan.ok()) return Fail(plan.status());
  *load.mutable_plan() = partition::ToProto(*plan);
  PrintPlan(model->sim(), *plan);

  auto ran = RunThreaded(load, *plan, absl::GetFlag(FLAGS_repeat));
  if (!ran.ok()) return Fail(ran.status());
  const Figures threaded = *ran;
  Figures distributed;

  std::printf("%s, %d partitions, %s sync\n", load.has_job() ? load.job().name().c_str() : "PHOLD", n,
              absl::GetFlag(FLAGS_sync).c_str());
  Print("threaded", threaded);  // now: a slow distributed run may be cut short
  std::fflush(stdout);

  // One partition service per partition, over TCP loopback.
  std::vector<std::unique_ptr<partition::PartitionServer>> servers;
  coordinator::DistributedRunRequest request;
  request.load = load;
  request.placement.plan = *plan;
  request.components = static_cast<uint32_t>(model->sim().size());
  const std::vector<std::string> external = absl::GetFlag(FLAGS_services);
  if (!external.empty() && static_cast<int>(external.size()) != n) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--services lists ", external.size(), " addresses; --partitions = ", n, " needs one each")));
  }
  for (int p = 0; p < n; ++p) {
    std::string address;
    if (external.empty()) {
      auto server = partition::PartitionServer::Start({v1::HOST, "127.0.0.1:0", nullptr});
      if (!server.ok()) return Fail(server.status());
      address = absl::StrCat("127.0.0.1:", (*server)->port());
      servers.push_back(std::move(*server));
    } else {
      address = external[p];
    }
    request.placement.service.push_back({v1::HOST, address});
    request.placement.groups.push_back({absl::StrCat("bench partition ", p)});
  }
  const std::string wire = absl::GetFlag(FLAGS_wire);
  if (wire != "auto" && wire != "hub" && wire != "peer" && wire != "star") {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--wire is '", wire, "'; allowed: auto, hub, peer, star")));
  }
  using Wire = coordinator::DistributedRunRequest::Wire;
  request.wire = wire == "peer" ? Wire::kPeer : wire == "hub" ? Wire::kHub : wire == "star" ? Wire::kStar : Wire::kAuto;
  for (int r = 0; r < absl::GetFlag(FLAGS_repeat); ++r) {
    auto run = coordinator::RunDistributed(request);
    if (!run.ok()) return Fail(run.status());
    if (r == 0) std::printf("wire: %s\n", coordinator::WireName(run->wire).c_str());
    const Figures f = FromStats(run->partitions, run->committed_events, run->digest);
    if (f.rate() > distributed.rate()) distributed = f;
  }

  Print("distributed", distributed);
  std::printf("distributed / threaded events/s: %.1f%%   same digest: %s\n",
              threaded.rate() > 0 ? 100.0 * distributed.rate() / threaded.rate() : 0,
              threaded.digest == distributed.digest ? "yes" : "NO");
  for (auto& s : servers) s->Shutdown();
  return threaded.digest == distributed.digest ? 0 : 1;
}
