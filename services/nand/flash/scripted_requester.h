// ScriptedRequester: stands in for a controller in NAND measurements and
// tests. Ports "ch0".."ch<n-1>"; at time zero it sends every scripted request
// (after its own delay) and records each response with its arrival time.
// Used by the NAND tests and by `strata reproduce` (cr-read's array gain).
#ifndef STRATA_NAND_FLASH_SCRIPTED_REQUESTER_H_
#define STRATA_NAND_FLASH_SCRIPTED_REQUESTER_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "flash/nand_events.h"
#include "strata/sim/component.h"

namespace strata::nand {

class ScriptedRequester final : public sim::Component {
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
  ScriptedRequester(uint32_t channels, std::vector<Scripted> script)
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

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_SCRIPTED_REQUESTER_H_
