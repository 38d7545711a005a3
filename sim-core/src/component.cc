#include "strata/sim/component.h"

#include "absl/strings/str_format.h"
#include "strata/sim/digest.h"

namespace strata::sim {

Component::Component(std::string name) : name_(std::move(name)) {}

PortId Component::DeclarePort(std::string port_name) {
  port_names_.push_back(std::move(port_name));
  return static_cast<PortId>(port_names_.size() - 1);
}

void Component::DeclareReaction(PortId in, PortId out, SimTime reaction) {
  reactions_.push_back({in, out, reaction});
}

int Component::FindPort(std::string_view port_name) const {
  for (size_t i = 0; i < port_names_.size(); ++i) {
    if (port_names_[i] == port_name) return static_cast<int>(i);
  }
  return -1;
}

std::string DigestToHex(uint64_t digest) { return absl::StrFormat("%016x", digest); }

}  // namespace strata::sim
