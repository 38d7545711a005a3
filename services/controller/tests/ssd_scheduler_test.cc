// SsdController's per-die schedulers on a scripted case: one die of one
// plane, a full drive taking overwrites that trigger foreground GC, and one
// host read arriving while the GC work is queued. A recording channel
// serves the controller's requests one at a time, 10 us each, so the order
// it sees is the order the scheduler chose.
#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "flash/nand_events.h"
#include "nvme/nvme_events.h"
#include "ssd/ssd_controller.h"
#include "strata/sim/engine.h"

namespace strata::controller {
namespace {

using sim::SimTime;

constexpr sim::EventType kServed = 0x7E01;

// Sends each scripted command at its time to the controller's "frontend".
class ScriptedFrontend final : public sim::Component {
 public:
  explicit ScriptedFrontend(std::vector<std::pair<SimTime, BackendRequest>> script)
      : Component("frontend"), script_(std::move(script)) {
    port_ = DeclarePort("backend");
  }
  void Init() override {
    for (const auto& [at, r] : script_) ctx().Send(port_, kBackendRequest, r, at);
  }
  void Handle(const sim::Event&) override { ++responses; }
  void AddToDigest(sim::DigestBuilder& d) const override { d.Add(static_cast<uint64_t>(responses)); }
  int responses = 0;

 private:
  std::vector<std::pair<SimTime, BackendRequest>> script_;
  sim::PortId port_;
};

// A stand-in NAND channel: records each request and answers it after
// `service`, one at a time, in arrival order.
class RecordingChannel final : public sim::Component {
 public:
  RecordingChannel() : Component("channel") { port_ = DeclarePort("host"); }
  void Handle(const sim::Event& e) override {
    if (e.type == nand::kNandRequest) {
      seen.push_back(e.PayloadAs<nand::NandRequest>());
      waiting_.push_back(seen.back());
      if (waiting_.size() == 1) ctx().Schedule(kService, kServed);
      return;
    }
    nand::NandResponse resp;
    resp.id = waiting_.front().id;
    resp.op = waiting_.front().op;
    ctx().Send(port_, nand::kNandResponse, resp);
    waiting_.erase(waiting_.begin());
    if (!waiting_.empty()) ctx().Schedule(kService, kServed);
  }
  void AddToDigest(sim::DigestBuilder& d) const override { d.Add(static_cast<uint64_t>(seen.size())); }
  static constexpr SimTime kService = SimTime::Microseconds(10);
  std::vector<nand::NandRequest> seen;

 private:
  std::vector<nand::NandRequest> waiting_;
  sim::PortId port_;
};

struct Outcome {
  std::vector<nand::NandRequest> seen;
  SsdController::Stats stats;
};

// 1 die x 1 plane x 32 blocks of 6 pages, 25 % spare: 144 logical pages,
// all written. 40 single-page overwrites of the even pages 0..78 at t = 0
// leave blocks 0..13 half valid and use up the free blocks, so the FTL
// collects victims with 3 valid pages each (greedy). The host read of page
// 143 (block 23, never touched) arrives at 1 us; one of page 1 (written to
// block 0, page 1 by the sequential precondition; odd, so still valid
// there and moved by the GC of block 0) at 2 us.
constexpr uint64_t kReadLpn = 143;

Outcome RunScript(DieScheduler scheduler) {
  nand::NandConfig nand = nand::AifDefaultNandConfig();
  nand.geometry.channels = 1;
  nand.geometry.dies_per_channel = 1;
  nand.geometry.planes_per_die = 1;
  nand.geometry.blocks_per_plane = 32;
  nand.geometry.wordlines_per_block = 2;
  SsdControllerConfig cc;
  cc.ftl.over_provisioning = 0.25;
  cc.scheduler = scheduler;
  auto ctrl = SsdController::Create("controller", nand, cc);
  EXPECT_TRUE(ctrl.ok()) << ctrl.status();
  EXPECT_EQ((*ctrl)->ftl().logical_pages(), 144u);
  EXPECT_TRUE((*ctrl)->Precondition(0, 144).ok());
  const uint64_t lbas_per_page = nand.geometry.page_bytes / cc.lba_bytes;
  std::vector<std::pair<SimTime, BackendRequest>> script;
  for (uint64_t i = 0; i < 40; ++i) {
    script.push_back({SimTime::Zero(), BackendRequest{i, 2 * i * lbas_per_page, 4, NvmeOpcode::kWrite}});
  }
  script.push_back({SimTime::Microseconds(1), BackendRequest{40, kReadLpn * lbas_per_page, 4, NvmeOpcode::kRead}});
  script.push_back({SimTime::Microseconds(2), BackendRequest{41, 1 * lbas_per_page, 4, NvmeOpcode::kRead}});

  sim::Simulation s;
  SsdController* controller = ctrl->get();
  s.Add(*std::move(ctrl), "controller");
  auto* frontend = s.Emplace<ScriptedFrontend>("frontend", std::move(script));
  auto* channel = s.Emplace<RecordingChannel>("channel");
  EXPECT_TRUE(s.Connect(frontend->id(), "backend", controller->id(), "frontend", SimTime::Nanoseconds(20)).ok());
  EXPECT_TRUE(s.Connect(controller->id(), "ch0", channel->id(), "host", SimTime::Nanoseconds(10)).ok());
  EXPECT_TRUE(sim::Run(s, {}).ok());
  EXPECT_EQ(frontend->responses, 42);
  return {channel->seen, controller->stats()};
}

uint64_t CommandOf(const nand::NandRequest& r) { return r.id >> 32; }
bool IsHostRead(const nand::NandRequest& r) {
  return r.op == nand::NandOp::kRead && (CommandOf(r) == 40 || CommandOf(r) == 41);
}

// Per block, the ops other than the host read, in the order issued.
using BlockOps = std::map<uint32_t, std::vector<std::pair<nand::NandOp, uint32_t>>>;
BlockOps PerBlock(const std::vector<nand::NandRequest>& seen) {
  BlockOps out;
  for (const nand::NandRequest& r : seen) {
    if (!IsHostRead(r)) out[r.block].push_back({r.op, r.page});
  }
  return out;
}

TEST(SsdSchedulerTest, PriorityLetsHostReadOvertakeGcButKeepsEachBlocksOrder) {
  const Outcome fifo = RunScript(DieScheduler::kFifo);
  const Outcome prio = RunScript(DieScheduler::kPriority);
  const auto R = static_cast<int>(FlashOpKind::kRead), E = static_cast<int>(FlashOpKind::kErase),
             G = static_cast<int>(OpCause::kGc);
  // Foreground GC happened: victims with 3 valid pages, copied and erased.
  ASSERT_GT(fifo.stats.flash_ops[E][G], 0u);
  EXPECT_EQ(fifo.stats.flash_ops[R][G], 3 * fifo.stats.flash_ops[E][G]);
  EXPECT_EQ(prio.stats.flash_ops, fifo.stats.flash_ops);
  ASSERT_EQ(prio.seen.size(), fifo.seen.size());
  const size_t n = fifo.seen.size();
  // 40 host programs, the GC ops (3 reads, 3 programs, 1 erase a victim)
  // and the two host reads.
  EXPECT_EQ(n, 40 + 7 * fifo.stats.flash_ops[E][G] + 2);

  // FIFO: the reads, the last commands to arrive, are the last ops issued.
  EXPECT_EQ(CommandOf(fifo.seen[n - 2]), 40u);
  EXPECT_EQ(CommandOf(fifo.seen[n - 1]), 41u);
  // Priority: the writes' ops are queued at 0.52 us and the first goes out;
  // the reads are queued at 1.52 and 2.52 us, while that op still has the
  // channel (until 10.53 us), and go next: ahead of every queued GC op.
  EXPECT_EQ(CommandOf(prio.seen[1]), 40u);
  EXPECT_EQ(CommandOf(prio.seen[2]), 41u);
  // Page 1's copy (GC read of block 0 page 1, then its program) is still
  // queued when the read of page 1 arrives: FIFO reads the copy's
  // destination after it is programmed; priority reads the still-valid
  // source before the copy.
  EXPECT_EQ(prio.seen[2].block, 0u);
  EXPECT_EQ(prio.seen[2].page, 1u);
  EXPECT_EQ(prio.stats.redirected_reads, 1u);
  EXPECT_EQ(fifo.stats.redirected_reads, 0u);
  size_t copy = 0;
  while (copy < n && !(fifo.seen[copy].op == nand::NandOp::kRead && fifo.seen[copy].block == 0 &&
                       fifo.seen[copy].page == 1 && !IsHostRead(fifo.seen[copy]))) {
    ++copy;
  }
  ASSERT_LT(copy + 1, n);
  EXPECT_EQ(fifo.seen[copy + 1].op, nand::NandOp::kProgram);
  EXPECT_EQ(fifo.seen[n - 1].block, fifo.seen[copy + 1].block);
  EXPECT_EQ(fifo.seen[n - 1].page, fifo.seen[copy + 1].page);
  // The scheduler reordered more than the read (host programs before GC).
  std::vector<nand::NandRequest> prio_without_read, fifo_without_read;
  for (const auto& r : prio.seen) {
    if (!IsHostRead(r)) prio_without_read.push_back(r);
  }
  for (const auto& r : fifo.seen) {
    if (!IsHostRead(r)) fifo_without_read.push_back(r);
  }
  bool reordered = false;
  for (size_t i = 0; i < n - 2; ++i) reordered |= prio_without_read[i].id != fifo_without_read[i].id;
  EXPECT_TRUE(reordered);
  // But on every block — victims (read, read, read, erase), GC destination
  // blocks, host blocks (a reused victim's erase before its programs) — the
  // order is the FTL's.
  EXPECT_EQ(PerBlock(prio.seen), PerBlock(fifo.seen));
}

TEST(SsdSchedulerTest, ConfigErrorsNameTheField) {
  const nand::NandConfig nand = nand::AifDefaultNandConfig();
  struct Case {
    SsdControllerConfig config;
    const char* message;
  };
  std::vector<Case> cases(4);
  cases[0].config.scheduler = static_cast<DieScheduler>(7);
  cases[0].message = "controller.scheduler = 7: allowed 0 (fifo) or 1 (priority)";
  cases[1].config.scheduler = DieScheduler::kPriority;
  cases[1].config.host_reads_first = true;
  cases[1].message = "controller.host_reads_first = true: allowed only with scheduler = fifo";
  cases[2].config.suspend_for_reads = true;
  cases[2].message = "controller.suspend_for_reads = true: allowed only with scheduler = priority";
  cases[3].config.scheduler = DieScheduler::kPriority;
  cases[3].config.suspend_for_reads = true;
  cases[3].config.max_outstanding_per_die = 2;
  cases[3].message = "controller.max_outstanding_per_die = 2 with suspend_for_reads: allowed 1";
  for (const Case& c : cases) {
    SsdControllerConfig config = c.config;
    config.ftl_blocks_per_plane = 32;
    auto ctrl = SsdController::Create("controller", nand, config);
    ASSERT_FALSE(ctrl.ok()) << c.message;
    EXPECT_EQ(ctrl.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(ctrl.status().message().find(c.message), std::string::npos) << ctrl.status();
  }
}

}  // namespace
}  // namespace strata::controller
