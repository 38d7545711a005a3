// strata-nand-bench: simulated NAND page reads per wall-clock second at PAGE
// and STREAM fidelity (ARCHITECTURE.md "The models"). A sequential read (or
// GEMV) of whole blocks on every plane of every die of an AiF-shaped back
// end; each die's requests queue at its channel, one block per request,
// multi-plane. Prints, per workload and fidelity: simulated time, committed
// events, wall time, page reads per wall second, and whether the two
// fidelities produced the same model digest.
//
// Usage: strata-nand-bench [--channels=8] [--dies=2] [--planes=4] [--blocks=16]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "flash/nand_channel.h"
#include "strata/sim/engine.h"
#include "tests/test_requester.h"

namespace strata::nand {
namespace {

using testing::TestRequester;

struct Figures {
  double wall_seconds = 0;
  uint64_t events = 0;
  uint64_t pages = 0;
  sim::SimTime sim_time;
  uint64_t digest = 0;
};

Figures RunOnce(NandConfig c, Fidelity f, NandOp op, uint32_t blocks) {
  c.fidelity = f;
  const NandGeometry& g = c.geometry;
  std::vector<TestRequester::Scripted> script;
  uint64_t id = 0;
  for (uint32_t ch = 0; ch < g.channels; ++ch) {
    for (uint32_t d = 0; d < g.dies_per_channel; ++d) {
      for (uint32_t blk = 0; blk < blocks; ++blk) {
        NandRequest r;
        r.id = ++id;
        r.op = op;
        r.die = static_cast<uint8_t>(d);
        r.block = blk;
        r.page = 0;
        r.page_count = static_cast<uint16_t>(g.pages_per_block());
        r.plane_count = static_cast<uint8_t>(g.planes_per_die);
        if (op == NandOp::kGemv) {
          r.vector_dim = 4096;
          r.output_rows = g.pages_per_block() * g.planes_per_die * (g.page_bytes / 4096);
        }
        script.push_back({ch, r});
      }
    }
  }
  auto b = testing::MakeBench(c, std::move(script), sim::SimTime::Nanoseconds(10));
  if (b == nullptr) {
    std::fprintf(stderr, "bench setup failed\n");
    std::exit(1);
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = sim::Run(b->sim, sim::RunOptions{});
  const auto stop = std::chrono::steady_clock::now();
  if (!r.ok()) {
    std::fprintf(stderr, "run failed: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  Figures fig;
  fig.wall_seconds = std::chrono::duration<double>(stop - start).count();
  fig.events = r->committed_events;
  fig.sim_time = b->requester->LastTime();
  fig.digest = testing::ModelDigest(*b);
  for (const auto& ch : b->array.dies) {
    for (const NandDie* d : ch) fig.pages += d->stats().pages_read;
  }
  return fig;
}

uint32_t Flag(int argc, char** argv, const char* name, uint32_t dflt) {
  const size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
      return static_cast<uint32_t>(std::atoi(argv[i] + n + 1));
    }
  }
  return dflt;
}

void Workload(const char* label, const NandConfig& c, NandOp op, uint32_t blocks) {
  const Figures page = RunOnce(c, Fidelity::kPage, op, blocks);
  const Figures stream = RunOnce(c, Fidelity::kStream, op, blocks);
  std::printf("%s: %u ch x %u dies x %u planes, %u blocks/die, %llu page reads, simulated %s\n", label,
              c.geometry.channels, c.geometry.dies_per_channel, c.geometry.planes_per_die, blocks,
              static_cast<unsigned long long>(page.pages), page.sim_time.ToString().c_str());
  for (const auto& [name, f] : {std::pair<const char*, const Figures&>{"PAGE  ", page}, {"STREAM", stream}}) {
    std::printf("  %s  events %10llu  wall %8.3f s  %12.0f page reads/wall s  %10.0f events/wall s\n", name,
                static_cast<unsigned long long>(f.events), f.wall_seconds, f.pages / f.wall_seconds,
                f.events / f.wall_seconds);
  }
  std::printf("  STREAM/PAGE speed %.1fx; same simulated end time: %s; same model digest: %s\n",
              page.wall_seconds / stream.wall_seconds, page.sim_time == stream.sim_time ? "yes" : "NO",
              page.digest == stream.digest ? "yes" : "NO");
}

}  // namespace
}  // namespace strata::nand

int main(int argc, char** argv) {
  using namespace strata::nand;
  NandConfig c = AifDefaultNandConfig();
  c.geometry.channels = Flag(argc, argv, "--channels", 8);
  c.geometry.dies_per_channel = Flag(argc, argv, "--dies", 2);
  c.geometry.planes_per_die = Flag(argc, argv, "--planes", 4);
  const uint32_t blocks = Flag(argc, argv, "--blocks", 16);
  c.geometry.blocks_per_plane = std::max<uint32_t>(blocks, 1);
  if (absl::Status s = ValidateNandConfig(c); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 2;
  }
  Workload("sequential read", c, NandOp::kRead, blocks);
  NandConfig one = c;
  one.geometry.dies_per_channel = 1;
  Workload("sequential read, one die per channel", one, NandOp::kRead, blocks);
  Workload("sequential GEMV (per-chip PE)", c, NandOp::kGemv, blocks);
  // Without the RBER model no bit errors are drawn per page: what is left is
  // the cost of the event machinery (PAGE) versus the per-page recurrence
  // (STREAM).
  NandConfig quiet = c;
  quiet.reliability.enabled = false;
  Workload("sequential read, reliability off", quiet, NandOp::kRead, blocks);
  NandConfig quiet_one = one;
  quiet_one.reliability.enabled = false;
  Workload("sequential read, one die per channel, reliability off", quiet_one, NandOp::kRead, blocks);
  Workload("sequential GEMV, reliability off", quiet, NandOp::kGemv, blocks);
  return 0;
}
