// A small, deterministic fuzz pass over the submit path (no libFuzzer:
// fuzz/ has those targets): every config in configs/ as binary and as text,
// mutated by a fixed-seed generator (bytes flipped, cut, inserted), parsed
// and submitted to a JobManager with admission limits. Every answer must be
// a status (OK, or an error with a message), and afterwards the manager
// still runs a job.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <utility>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/coordinator/job/job_runner.h"
#include "server/job_manager.h"
#include "store/job_store.h"

namespace strata::coordinator {
namespace {

std::vector<std::string> SeedTexts() {
  std::vector<std::string> texts;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(STRATA_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".textproto") continue;
    auto spec = LoadJobSpec(entry.path().string());
    if (spec.ok()) texts.push_back(spec->DebugString());
  }
  return texts;
}

std::string Mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    const size_t at = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 4) {
      case 0: if (!s.empty()) s[at] = static_cast<char>(rng()); break;           // flip a byte
      case 1: s.resize(at); break;                                                // cut
      case 2: s.insert(at, std::string(1 + rng() % 8, static_cast<char>(rng()))); break;  // insert
      case 3: if (!s.empty()) s[at] = static_cast<char>('0' + rng() % 10); break;  // a digit
    }
  }
  return s;
}

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Every scalar field of `m` and of its set sub-messages (what a client can
// put a hostile value in without changing the spec's shape).
void CollectFields(Message* m, std::vector<std::pair<Message*, const FieldDescriptor*>>* out) {
  const google::protobuf::Reflection* r = m->GetReflection();
  for (int i = 0; i < m->GetDescriptor()->field_count(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->field(i);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!f->is_repeated()) out->emplace_back(m, f);
    } else if (!f->is_repeated() && r->HasField(*m, f)) {
      CollectFields(r->MutableMessage(m, f), out);
    }
  }
}

// One field set to an edge value the parsers accept but the checks must
// refuse or bound: NaN, infinities and the extremes of floating fields,
// the extremes of integers, an enum number no value names.
void SetEdgeValue(Message* m, std::mt19937_64& rng) {
  std::vector<std::pair<Message*, const FieldDescriptor*>> fields;
  CollectFields(m, &fields);
  if (fields.empty()) return;
  auto [msg, f] = fields[rng() % fields.size()];
  const google::protobuf::Reflection* r = msg->GetReflection();
  const double doubles[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(), -1e308, 1e308, -1};
  const double d = doubles[rng() % 6];
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(msg, f, d); break;
    case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(msg, f, static_cast<float>(d)); break;
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(msg, f, rng() % 2 ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min());
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      r->SetInt64(msg, f, rng() % 2 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min());
      break;
    case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(msg, f, std::numeric_limits<uint32_t>::max()); break;
    case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(msg, f, std::numeric_limits<uint64_t>::max()); break;
    case FieldDescriptor::CPPTYPE_ENUM: r->SetEnumValue(msg, f, 1000 + static_cast<int>(rng() % 1000)); break;
    case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(msg, f, !r->GetBool(*msg, f)); break;
    default: break;  // strings: the byte mutations cover them
  }
}

// The first floating field of an accepted (normalised, stored) spec that is
// not finite, or enum field holding a number no value names: "" if none.
std::string FirstUncheckedValue(const Message& m, const std::string& path = "") {
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> set;
  r->ListFields(m, &set);
  for (const FieldDescriptor* f : set) {
    const std::string at = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE && !std::isfinite(r->GetRepeatedDouble(m, f, i))) return at;
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          if (std::string bad = FirstUncheckedValue(r->GetRepeatedMessage(m, f, i), at); !bad.empty()) return bad;
        }
      }
      continue;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_DOUBLE: if (!std::isfinite(r->GetDouble(m, f))) return at; break;
      case FieldDescriptor::CPPTYPE_FLOAT: if (!std::isfinite(r->GetFloat(m, f))) return at; break;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (f->enum_type()->FindValueByNumber(r->GetEnumValue(m, f)) == nullptr) return at;
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (std::string bad = FirstUncheckedValue(r->GetMessage(m, f), at); !bad.empty()) return bad;
        break;
      default: break;
    }
  }
  return "";
}

TEST(SubmitFuzzTest, MutatedSpecsAlwaysGetAStatusAndTheManagerKeepsRunning) {
  const std::vector<std::string> seeds = SeedTexts();
  ASSERT_FALSE(seeds.empty());
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), /*max_concurrent=*/1, nullptr);
  manager.SetAdmissionLimits({/*max_job_memory_gib=*/1, /*max_job_events=*/1e6});
  std::mt19937_64 rng(17);
  int parsed = 0, normalized_ok = 0, accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string& seed = seeds[rng() % seeds.size()];
    v1::JobSpec spec;
    bool ok = false;
    if (i % 2 == 0) {  // text
      auto s = ParseJobSpecText(Mutate(seed, rng));
      ok = s.ok();
      if (ok) {
        spec = *s;
      } else {
        EXPECT_FALSE(s.status().message().empty());
      }
    } else if (i % 4 == 1) {  // binary
      auto base = ParseJobSpecText(seed);
      ASSERT_TRUE(base.ok());
      ok = spec.ParseFromString(Mutate(base->SerializeAsString(), rng));
    } else {  // one field at an edge value
      auto base = ParseJobSpecText(seed);
      ASSERT_TRUE(base.ok());
      spec = *base;
      SetEdgeValue(&spec, rng);
      ok = true;
    }
    if (!ok) continue;
    ++parsed;
    // Whatever the admission limits say, a spec normalisation accepts has
    // every value checked: no NaN or infinity, no enum number without a
    // name reaches the store or the models.
    if (auto normalized = NormalizeJobSpec(spec); normalized.ok()) {
      ++normalized_ok;
      EXPECT_EQ(FirstUncheckedValue(*normalized), "") << "input " << i << ": " << spec.ShortDebugString();
    }
    auto job = manager.Submit(spec, absl::StrCat("fuzz-", i));
    if (job.ok()) {
      ++accepted;
      EXPECT_EQ(FirstUncheckedValue(job->spec()), "") << "accepted input " << i << ": " << spec.ShortDebugString();
      EXPECT_TRUE(manager.Cancel(job->id()).ok());
    } else {
      EXPECT_FALSE(job.status().message().empty()) << "empty message, code " << job.status().code();
      EXPECT_NE(job.status().code(), absl::StatusCode::kInternal) << job.status();
    }
  }
  std::printf("fuzzed 20000 inputs: %d parsed, %d normalised, %d accepted\n", parsed, normalized_ok, accepted);
  auto tiny = ParseJobSpecText(
      R"pb(name: "tiny" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
           workload { prompt_tokens: 4 decode_tokens: 1 } system { in_memory {} })pb");
  ASSERT_TRUE(tiny.ok());
  auto next = manager.Submit(*tiny, "");
  ASSERT_TRUE(next.ok()) << next.status();
  uint64_t version = 0;
  v1::Job done;
  for (int i = 0; i < 100 && !IsFinal(done.state()); ++i) {
    auto j = manager.WaitForChange(next->id(), version, absl::Seconds(1), &version);
    ASSERT_TRUE(j.ok()) << j.status();
    done = *j;
  }
  EXPECT_EQ(done.state(), v1::SUCCEEDED) << done.error();
}

}  // namespace
}  // namespace strata::coordinator
