// Small components for kernel tests.
#ifndef STRATA_SIM_TESTS_TEST_COMPONENTS_H_
#define STRATA_SIM_TESTS_TEST_COMPONENTS_H_

#include <string>
#include <vector>

#include "strata/sim/component.h"

namespace strata::sim::testing {

// Records every event it handles as (time, source, port, value). On Init it
// sends `initial` messages out of "out" (value = index) after `extra` each.
// On receiving a value v > 0 on "in" it replies v - 1 on "in".
class Echo : public Component {
 public:
  struct Record {
    SimTime time;
    ComponentId source;
    PortId port;
    int value;
    bool operator==(const Record&) const = default;
  };
  Echo(std::string name, int initial = 0, int start_value = 0)
      : Component(std::move(name)), initial_(initial), start_value_(start_value) {
    out_ = DeclarePort("out");
    in_ = DeclarePort("in");
  }
  void Init() override {
    for (int i = 0; i < initial_; ++i) ctx().Send(out_, 1, start_value_, SimTime::Picoseconds(i));
  }
  void Handle(const Event& e) override {
    const int v = e.PayloadAs<int>();
    log.push_back({ctx().Now(), e.source(), e.port, v});
    if (v > 0) ctx().Send(e.port, 1, v - 1);
  }
  void AddToDigest(DigestBuilder& d) const override {
    for (const Record& r : log) d.Add(r.time).Add(r.source).Add(static_cast<uint32_t>(r.port)).Add(r.value);
  }
  std::vector<Record> log;

 private:
  int initial_;
  int start_value_;
  PortId out_, in_;
};

// One port "in"; counts what arrives. Closes a graph in tests.
class Sink : public Component {
 public:
  explicit Sink(std::string name) : Component(std::move(name)) { DeclarePort("in"); }
  void Handle(const Event&) override { ++received; }
  void AddToDigest(DigestBuilder& d) const override { d.Add(received); }
  uint64_t received = 0;
};

}  // namespace strata::sim::testing

#endif  // STRATA_SIM_TESTS_TEST_COMPONENTS_H_
