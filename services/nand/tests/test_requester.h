// NAND test bench: an array and a ScriptedRequester linked to every channel.
#ifndef STRATA_NAND_TESTS_TEST_REQUESTER_H_
#define STRATA_NAND_TESTS_TEST_REQUESTER_H_

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "flash/nand_channel.h"
#include "flash/scripted_requester.h"
#include "flash/nand_events.h"
#include "strata/sim/component.h"
#include "strata/sim/engine.h"

namespace strata::nand::testing {

using TestRequester = ScriptedRequester;

// A NAND array plus a requester linked to every channel with `link`.
struct Bench {
  sim::Simulation sim;
  NandArray array;
  TestRequester* requester = nullptr;
};
inline std::unique_ptr<Bench> MakeBench(const NandConfig& config, std::vector<TestRequester::Scripted> script,
                                        sim::SimTime link) {
  auto b = std::make_unique<Bench>();
  auto array = BuildNandArray(config, &b->sim);
  if (!array.ok()) return nullptr;
  b->array = *array;
  b->requester = b->sim.Emplace<TestRequester>("", config.geometry.channels, std::move(script));
  for (uint32_t c = 0; c < config.geometry.channels; ++c) {
    if (!b->sim.Connect(b->requester->id(), absl::StrCat("ch", c), b->array.channels[c]->id(), "host", link).ok()) {
      return nullptr;
    }
  }
  return b;
}

// Digest of the model state alone (dies, channels, requester's responses with
// their times), without the kernel's event count: equal across fidelities
// when the runs agree.
inline uint64_t ModelDigest(const Bench& b) {
  sim::DigestBuilder d;
  for (size_t c = 0; c < b.array.channels.size(); ++c) {
    b.array.channels[c]->AddToDigest(d);
    for (const NandDie* die : b.array.dies[c]) die->AddToDigest(d);
  }
  b.requester->AddToDigest(d);
  return d.value();
}

}  // namespace strata::nand::testing

#endif  // STRATA_NAND_TESTS_TEST_REQUESTER_H_
