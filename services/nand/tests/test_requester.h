// A scripted requester standing in for the controller in NAND tests: ports
// "ch0".."ch<n-1>"; at time zero it sends every scripted request (after its
// own delay) and records each response with its arrival time.
#ifndef STRATA_NAND_TESTS_TEST_REQUESTER_H_
#define STRATA_NAND_TESTS_TEST_REQUESTER_H_

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "flash/nand_channel.h"
#include "flash/nand_events.h"
#include "strata/sim/component.h"
#include "strata/sim/engine.h"

namespace strata::nand::testing {

class TestRequester final : public sim::Component {
 public:
  struct Scripted {
    uint32_t channel;
    NandRequest request;
    sim::SimTime at = sim::SimTime::Zero();
  };
  struct Received {
    sim::SimTime time;
    uint32_t channel;
    NandResponse response;
  };
  TestRequester(uint32_t channels, std::vector<Scripted> script)
      : Component("requester"), script_(std::move(script)) {
    for (uint32_t c = 0; c < channels; ++c) ports_.push_back(DeclarePort(absl::StrCat("ch", c)));
  }
  void Init() override {
    for (const Scripted& s : script_) ctx().Send(ports_[s.channel], kNandRequest, s.request, s.at);
  }
  void Handle(const sim::Event& e) override {
    received.push_back({ctx().Now(), static_cast<uint32_t>(e.port - ports_[0]), e.PayloadAs<NandResponse>()});
  }
  void AddToDigest(sim::DigestBuilder& d) const override {
    for (const Received& r : received) {
      d.Add(r.time).Add(r.channel).Add(r.response.id).Add(static_cast<uint32_t>(r.response.status));
      d.Add(r.response.bit_errors).Add(r.response.read_retries).Add(r.response.uncorrectable_pages);
    }
  }
  const Received* Find(uint64_t id) const {
    for (const Received& r : received) {
      if (r.response.id == id) return &r;
    }
    return nullptr;
  }
  sim::SimTime LastTime() const {
    sim::SimTime t = sim::SimTime::Zero();
    for (const Received& r : received) t = std::max(t, r.time);
    return t;
  }
  std::vector<Received> received;

 private:
  std::vector<Scripted> script_;
  std::vector<sim::PortId> ports_;
};

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
