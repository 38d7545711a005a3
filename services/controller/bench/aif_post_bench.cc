// aif_post_bench: prints the simulated aif_post time of LLaMA-2-70B's INT8
// FFN weights on the AiF SSD (8 channels x 2 dies x 4 planes, 16 KiB pages,
// be-enc LSB-only IFP blocks; nand_config.h / aif_ssd.h defaults), and one
// aif_gemv's step breakdown per FFN matrix shape, AiF and AiF--.
//
// LLaMA-2-70B (REFERENCE.md "LLM shapes"): 80 layers, hidden 8192, FFN
// 28672, SwiGLU: gate and up 28672 x 8192, down 8192 x 28672 per layer;
// 80 x 3 x 8192 x 28672 = 56.37 GB of INT8 weights, one aif_post per matrix
// (240 commands, queue depth 1).
//
// Usage: aif_post_bench [layers]   (default 80: the whole FFN, simulated)
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "aif/aif_ssd.h"
#include "strata/sim/engine.h"

namespace {

using strata::controller::AifOpcode;
using strata::controller::AifSsdConfig;
using strata::controller::AifGemvCommand;
using strata::controller::AifPostCommand;
using strata::controller::AifSubmit;
using strata::controller::AifStep;
using strata::controller::AifStepName;
using strata::controller::kAifSteps;


int Run(uint32_t layers, bool aif) {
  AifSsdConfig c;
  c.nand.timing.cr_read = aif;
  c.be_enc = aif;
  c.nand.reliability.enabled = false;  // timing only
  const uint32_t h = 8192, f = 28672;
  std::vector<AifSubmit> script;
  for (uint32_t l = 0; l < layers; ++l) {
    script.push_back(AifPostCommand(f, h));  // gate
    script.push_back(AifPostCommand(f, h));  // up
    script.push_back(AifPostCommand(h, f));  // down
  }
  script.push_back(AifGemvCommand(0));
  script.push_back(AifGemvCommand(2));
  strata::sim::Simulation sim;
  auto sys = strata::controller::BuildAifSsd(c, script, &sim);
  if (!sys.ok()) {
    std::fprintf(stderr, "%s\n", std::string(sys.status().message()).c_str());
    return 1;
  }
  auto r = strata::sim::Run(sim, strata::sim::RunOptions{});
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  const auto& recs = sys->ssd->records();
  strata::sim::SimTime post_total;
  uint64_t bytes = 0;
  for (const auto& rec : recs) {
    if (rec.status != strata::controller::AifStatus::kSuccess) {
      std::fprintf(stderr, "command %llu failed\n", static_cast<unsigned long long>(rec.cid));
      return 1;
    }
    if (rec.opcode == AifOpcode::kPost) {
      post_total += rec.latency();
      bytes += rec.data_bytes;
    }
  }
  std::printf("%s: %u layers, %u aif_post commands, %.3f GB placed, %llu IFP blocks: aif_post total %.3f s "
              "(%.3f GB/s); gate %.3f ms, down %.3f ms each\n",
              aif ? "AiF (be-enc LSB)" : "AiF-- (all pages)", layers, layers * 3, bytes / 1e9,
              static_cast<unsigned long long>(sys->ssd->stats().ifp_blocks), post_total.ToSeconds(),
              bytes / post_total.ToSeconds() / 1e9, recs[0].latency().ToSeconds() * 1e3,
              recs[2].latency().ToSeconds() * 1e3);
  for (size_t i = recs.size() - 2; i < recs.size(); ++i) {
    const auto& g = recs[i];
    std::printf("  aif_gemv %s: %.3f us =", i + 2 == recs.size() ? "gate 28672x8192" : "down 8192x28672",
                g.latency().ToSeconds() * 1e6);
    for (uint32_t s = 0; s < kAifSteps; ++s) {
      if (g.steps[s].ps() > 0) {
        std::printf(" %s %.3f", std::string(AifStepName(static_cast<AifStep>(s))).c_str(),
                    g.steps[s].ToSeconds() * 1e6);
      }
    }
    std::printf(" (us)\n");
  }
  std::printf("  events %llu\n", static_cast<unsigned long long>(r->committed_events));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t layers = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 80;
  if (int rc = Run(layers, true); rc != 0) return rc;
  return Run(layers, false);
}
