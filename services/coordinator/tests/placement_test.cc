// PlaceByRole (which service runs which groups) and ServiceDirectory
// (registration, heartbeat expiry, probing). The directory runs on an
// injected clock and probe: nothing here sleeps or opens a socket.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "distributed/placement.h"
#include "distributed/service_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "strata/sim/component.h"
#include "strata/sim/simulation.h"

namespace strata::coordinator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class Idle final : public sim::Component {
 public:
  Idle() : sim::Component("idle") {}
  void Handle(const sim::Event&) override {}
  void AddToDigest(sim::DigestBuilder&) const override {}
};

// A graph with one component per entry of `groups` (two for "nand*"
// groups: a channel and its die, which must never split).
std::unique_ptr<sim::Simulation> Graph(const std::vector<std::string>& groups) {
  auto sim = std::make_unique<sim::Simulation>();
  for (const std::string& g : groups) {
    sim->Emplace<Idle>(g);
    if (g.rfind("nand", 0) == 0) sim->Emplace<Idle>(g);
  }
  return sim;
}

ServiceEndpoint Nand(const std::string& a) { return {v1::NAND, a}; }
ServiceEndpoint Controller(const std::string& a) { return {v1::CONTROLLER, a}; }
ServiceEndpoint Host(const std::string& a) { return {v1::HOST, a}; }

// The service each component ended up on.
std::vector<std::string> AddressOfEachComponent(const Placement& p) {
  std::vector<std::string> out;
  for (sim::PartitionId part : p.plan.partition_of) out.push_back(p.service[part].address);
  return out;
}

TEST(PlaceByRoleTest, GroupsGoToTheServiceOfTheirRole) {
  const auto sim = Graph({"host", "aif", "nand_ch0", "ssd_ftl", ""});
  auto p = PlaceByRole(*sim, {Nand("n:1"), Controller("c:1"), Host("h:1")});
  ASSERT_TRUE(p.ok()) << p.status();
  // host, aif, nand_ch0 x2, ssd_ftl, ungrouped (host role).
  EXPECT_THAT(AddressOfEachComponent(*p), ElementsAre("h:1", "c:1", "n:1", "n:1", "c:1", "h:1"));
  EXPECT_EQ(p->plan.partition_count, 3);
  ASSERT_EQ(p->service.size(), 3u);
  for (int part = 0; part < 3; ++part) {
    for (const std::string& g : p->groups[part]) {
      const v1::ServiceRole role = g[0] == '#' ? v1::HOST : RoleOfGroup(g);
      EXPECT_EQ(role, p->service[part].role) << "group " << g << " on " << p->Describe(part);
    }
  }
}

TEST(PlaceByRoleTest, AMissingRoleFailsNamingTheRoleAndTheGroup) {
  const auto sim = Graph({"host", "aif", "nand_ch0"});
  auto p = PlaceByRole(*sim, {Nand("n:1"), Host("h:1")});
  ASSERT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(p.status().message(), HasSubstr("no controller service"));
  EXPECT_THAT(p.status().message(), HasSubstr("'aif'"));

  auto q = PlaceByRole(*Graph({"host", "nand_ch3"}), {Host("h:1"), Controller("c:1")});
  ASSERT_EQ(q.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(q.status().message(), HasSubstr("no nand service"));
  EXPECT_THAT(q.status().message(), HasSubstr("'nand_ch3'"));
}

TEST(PlaceByRoleTest, MoreGroupsThanServicesAreDealtRoundRobinWithoutSplittingAGroup) {
  const int channels = 8;
  std::vector<std::string> groups{"host"};
  for (int c = 0; c < channels; ++c) groups.push_back("nand_ch" + std::to_string(c));
  const auto sim = Graph(groups);
  auto p = PlaceByRole(*sim, {Nand("n:1"), Nand("n:2"), Nand("n:3"), Host("h:1")});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->plan.partition_count, 4);  // one per service that got groups
  std::map<std::string, std::set<std::string>> services_of_group;
  std::map<std::string, std::vector<std::string>> groups_of_service;
  for (sim::ComponentId id = 0; id < sim->size(); ++id) {
    const std::string& address = p->service[p->plan.partition_of[id]].address;
    services_of_group[sim->group(id)].insert(address);
    auto& list = groups_of_service[address];
    if (list.empty() || list.back() != sim->group(id)) list.push_back(sim->group(id));
  }
  for (const auto& [group, services] : services_of_group) EXPECT_EQ(services.size(), 1u) << group << " split";
  // Channel c goes to nand service c mod 3, in the order the graph names them.
  EXPECT_THAT(groups_of_service["n:1"], ElementsAre("nand_ch0", "nand_ch3", "nand_ch6"));
  EXPECT_THAT(groups_of_service["n:2"], ElementsAre("nand_ch1", "nand_ch4", "nand_ch7"));
  EXPECT_THAT(groups_of_service["n:3"], ElementsAre("nand_ch2", "nand_ch5"));
}

TEST(PlaceByRoleTest, MoreServicesThanGroupsLeavesTheRestIdle) {
  auto p = PlaceByRole(*Graph({"host", "nand_ch0"}), {Nand("n:1"), Nand("n:2"), Host("h:1"), Host("h:2")});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->plan.partition_count, 2);
  EXPECT_THAT(AddressOfEachComponent(*p), ElementsAre("h:1", "n:1", "n:1"));
}

// Each service's groups, in component order.
std::map<std::string, std::vector<std::string>> GroupsOfService(const sim::Simulation& sim, const Placement& p) {
  std::map<std::string, std::vector<std::string>> out;
  for (sim::ComponentId id = 0; id < sim.size(); ++id) {
    auto& list = out[p.service[p.plan.partition_of[id]].address];
    if (list.empty() || list.back() != sim.group(id)) list.push_back(sim.group(id));
  }
  return out;
}

TEST(PlaceByRoleTest, PilotWeightsPutTheBusiestGroupAloneWhereRoundRobinWouldPairIt) {
  // host, then two components per channel: channel 0 did 100 events a
  // component in the pilot, the others 1.
  const auto sim = Graph({"host", "nand_ch0", "nand_ch1", "nand_ch2", "nand_ch3"});
  const std::vector<ServiceEndpoint> services{Nand("n:1"), Nand("n:2"), Host("h:1")};
  auto dealt = PlaceByRole(*sim, services);
  ASSERT_TRUE(dealt.ok()) << dealt.status();
  EXPECT_THAT(GroupsOfService(*sim, *dealt)["n:1"], ElementsAre("nand_ch0", "nand_ch2"));
  auto weighed = PlaceByRole(*sim, services, {5, 100, 100, 1, 1, 1, 1, 1, 1});
  ASSERT_TRUE(weighed.ok()) << weighed.status();
  auto groups = GroupsOfService(*sim, *weighed);
  EXPECT_THAT(groups["n:1"], ElementsAre("nand_ch0"));
  EXPECT_THAT(groups["n:2"], ElementsAre("nand_ch1", "nand_ch2", "nand_ch3"));
  EXPECT_THAT(groups["h:1"], ElementsAre("host"));
  EXPECT_EQ(weighed->plan.partition_count, 3);
}

TEST(PlaceByRoleTest, GroupsThePilotNeverSawStillSpreadOverTheServices) {
  const auto sim = Graph({"host", "nand_ch0", "nand_ch1", "nand_ch2", "nand_ch3"});
  auto p = PlaceByRole(*sim, {Nand("n:1"), Nand("n:2"), Host("h:1")}, std::vector<double>(sim->size(), 0.0));
  ASSERT_TRUE(p.ok()) << p.status();
  auto groups = GroupsOfService(*sim, *p);
  EXPECT_THAT(groups["n:1"], ElementsAre("nand_ch0", "nand_ch2"));
  EXPECT_THAT(groups["n:2"], ElementsAre("nand_ch1", "nand_ch3"));
}

TEST(PlaceByRoleTest, WeightsOfTheWrongLengthAreRefused) {
  auto p = PlaceByRole(*Graph({"host", "nand_ch0"}), {Nand("n:1"), Host("h:1")}, {1.0, 2.0});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("allowed: none or one per component"));
}

// A clock the test moves by hand, and a probe that answers for whoever the
// test says is alive.
struct FakeWorld {
  absl::Time now = absl::FromUnixSeconds(1'000'000);
  std::set<std::string> alive;
  std::vector<std::string> probed;
  ServiceDirectory Directory() {
    return ServiceDirectory([this] { return now; },
                            [this](const ServiceEndpoint& s, absl::Duration) {
                              probed.push_back(s.address);
                              return alive.count(s.address) > 0;
                            });
  }
};

std::vector<std::string> Addresses(const std::vector<ServiceEndpoint>& services) {
  std::vector<std::string> out;
  for (const ServiceEndpoint& s : services) out.push_back(RoleName(s.role) + "@" + s.address);
  return out;
}

TEST(ServiceDirectoryTest, RegisteredServicesThatAnswerAreAvailableInAStableOrder) {
  FakeWorld world;
  ServiceDirectory directory = world.Directory();
  world.alive = {"b:2", "a:1", "c:3"};
  ASSERT_TRUE(directory.Register(v1::HOST, "c:3").ok());
  ASSERT_TRUE(directory.Register(v1::NAND, "b:2").ok());
  ASSERT_TRUE(directory.Register(v1::NAND, "a:1").ok());
  // By role (the enum's order: nand before host), then address.
  ASSERT_LT(v1::NAND, v1::HOST);
  EXPECT_THAT(Addresses(directory.Available()), ElementsAre("nand@a:1", "nand@b:2", "host@c:3"));
}

TEST(ServiceDirectoryTest, RegisteringWithoutRoleOrAddressIsInvalid) {
  FakeWorld world;
  ServiceDirectory directory = world.Directory();
  const absl::Status no_role = directory.Register(v1::SERVICE_ROLE_UNSPECIFIED, "a:1");
  EXPECT_EQ(no_role.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_role.message(), HasSubstr("role"));
  const absl::Status no_address = directory.Register(v1::NAND, "");
  EXPECT_EQ(no_address.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_address.message(), HasSubstr("address"));
  EXPECT_EQ(directory.known(), 0u);
}

TEST(ServiceDirectoryTest, AServiceThatStopsHeartbeatingIsForgottenAfterTheExpiry) {
  FakeWorld world;
  ServiceDirectory directory = world.Directory();
  world.alive = {"n:1", "h:1"};
  const absl::Duration expiry =
      absl::Seconds(ServiceDirectory::kForgetAfterHeartbeats * ServiceDirectory::kHeartbeatSeconds);
  ASSERT_TRUE(directory.Register(v1::NAND, "n:1").ok());
  ASSERT_TRUE(directory.Register(v1::HOST, "h:1").ok());
  // h:1 keeps heartbeating, n:1 falls silent (its process still answers
  // probes: expiry is about registration, not liveness).
  world.now += expiry - absl::Seconds(1);
  ASSERT_TRUE(directory.Register(v1::HOST, "h:1").ok());
  EXPECT_THAT(Addresses(directory.Available()), ElementsAre("nand@n:1", "host@h:1"));
  world.now += absl::Seconds(2);  // n:1 last seen expiry + 1 s ago
  EXPECT_THAT(Addresses(directory.Available()), ElementsAre("host@h:1"));
  EXPECT_EQ(directory.known(), 1u);
  // A heartbeat after being forgotten brings it back.
  ASSERT_TRUE(directory.Register(v1::NAND, "n:1").ok());
  EXPECT_THAT(Addresses(directory.Available()), ElementsAre("nand@n:1", "host@h:1"));
}

TEST(ServiceDirectoryTest, ListedServicesNeverExpireButAreSkippedWhileTheyDoNotAnswer) {
  FakeWorld world;
  ServiceDirectory directory = world.Directory();
  directory.AddStatic(v1::CONTROLLER, "c:1");
  world.alive = {"c:1"};
  world.now += absl::Hours(1);
  EXPECT_THAT(Addresses(directory.Available()), ElementsAre("controller@c:1"));
  world.alive.clear();
  EXPECT_TRUE(directory.Available().empty());
  EXPECT_EQ(directory.known(), 1u);  // still listed: used again once it answers
  world.alive = {"c:1"};
  EXPECT_THAT(Addresses(directory.Available()), ElementsAre("controller@c:1"));
  EXPECT_THAT(world.probed, ElementsAre("c:1", "c:1", "c:1"));
}

}  // namespace
}  // namespace strata::coordinator
