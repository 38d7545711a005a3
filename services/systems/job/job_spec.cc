#include "services/systems/job/job_spec.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/job/spec_admission.h"
#include "services/systems/job/system_registry.h"
#include "services/systems/ssd_offload/ssd_io_job.h"
#include "strata/sim/engine.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {
namespace {

// Collects text-format parse errors with their line and column.
class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    errors_.push_back(absl::StrCat("line ", line + 1, " column ", column + 1, ": ", message));
  }
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

absl::Status NormalizeSimulation(v1::SimulationSpec* sim) {
  RETURN_IF_ERROR(DefaultAndRange(sim, "simulation", "seed", 1, 1, 1.8e19));
  RETURN_IF_ERROR(DefaultAndRange(sim, "simulation", "partitions", 1, 1, sim::kMaxPartitions));
  if (sim->sync() == v1::SYNC_ALGORITHM_UNSPECIFIED) sim->set_sync(v1::WINDOW);
  if (sim->fidelity() == v1::FIDELITY_UNSPECIFIED) sim->set_fidelity(v1::STREAM);
  if (sim->wire() == v1::DISTRIBUTED_WIRE_UNSPECIFIED) sim->set_wire(v1::WIRE_AUTO);
  // Binary and JSON specs can carry numbers no enum value names.
  if (!v1::SyncAlgorithm_IsValid(sim->sync())) {
    return Invalid("simulation.sync", sim->sync(), "WINDOW (1) or NULL_MESSAGE (2)");
  }
  if (!v1::Fidelity_IsValid(sim->fidelity())) return Invalid("simulation.fidelity", sim->fidelity(), "PAGE (1) or STREAM (2)");
  if (!v1::DistributedWire_IsValid(sim->wire())) {
    return Invalid("simulation.wire", sim->wire(), "WIRE_AUTO (1), WIRE_HUB (2), WIRE_PEER (3) or WIRE_STAR (4)");
  }
  if ((sim->wire() == v1::WIRE_PEER || sim->wire() == v1::WIRE_STAR) && sim->sync() == v1::NULL_MESSAGE) {
    return absl::InvalidArgumentError(absl::StrCat("simulation.wire = ", v1::DistributedWire_Name(sim->wire()),
                                                   " needs simulation.sync = WINDOW; null-message sync always "
                                                   "uses WIRE_HUB (its stuck detection needs the coordinator)"));
  }
  return absl::OkStatus();
}

absl::Status NormalizeWorkload(v1::WorkloadSpec* w) {
  RETURN_IF_ERROR(DefaultAndRange(w, "workload", "batch_size", 1, 1, 1024));
  RETURN_IF_ERROR(DefaultAndRange(w, "workload", "prompt_tokens", 128, 1, 131072));
  RETURN_IF_ERROR(DefaultAndRange(w, "workload", "decode_tokens", 32, 1, 100000));
  if (!(w->moe_routing_skew() >= 0 && w->moe_routing_skew() <= 10)) {
    return Invalid("workload.moe_routing_skew", w->moe_routing_skew(), "0 to 10");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseTextFormat(const std::string& text, google::protobuf::Message* out, std::string_view what) {
  google::protobuf::TextFormat::Parser parser;
  ParseErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(absl::string_view(what.data(), what.size()), " (text format): ", errors.Joined()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", absl::string_view(what.data(), what.size()), " '", path, "'"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<v1::JobSpec> ParseJobSpecText(const std::string& text) {
  v1::JobSpec spec;
  RETURN_IF_ERROR(ParseTextFormat(text, &spec, "job spec"));
  return spec;
}

absl::StatusOr<v1::JobSpec> ParseJobSpecJson(const std::string& json) {
  v1::JobSpec spec;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &spec);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat("job spec (JSON): ", status.ToString()));
  return spec;
}

absl::StatusOr<v1::JobSpec> LoadJobSpec(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string text, ReadTextFile(path, "job spec"));
  if (absl::EndsWith(path, ".json")) return ParseJobSpecJson(text);
  return ParseJobSpecText(text);
}

absl::StatusOr<v1::JobSpec> NormalizeJobSpec(v1::JobSpec spec) {
  RETURN_IF_ERROR(CheckSpecAdmission(spec));  // enums, finiteness, sizes, UTF-8
  RETURN_IF_ERROR(NormalizeSimulation(spec.mutable_simulation()));
  if (IsSsdIoJob(spec)) {
    RETURN_IF_ERROR(NormalizePlainIoJob(&spec));
    return spec;
  }
  if (spec.has_ssd_io()) {  // user I/O beside the LLM job, on the same SSD
    RETURN_IF_ERROR(NormalizeSsdIo(&spec));
  }
  ASSIGN_OR_RETURN(const host::ModelShape shape, ShapeOf(spec.model()));
  if (spec.model().weight_type() == v1::WEIGHT_TYPE_UNSPECIFIED) spec.mutable_model()->set_weight_type(v1::INT8);
  RETURN_IF_ERROR(NormalizeWorkload(spec.mutable_workload()));
  const SystemBuilder* system = FindSystem(spec.system().kind_case());
  if (system == nullptr) {
    return absl::InvalidArgumentError(
        "system: set one of system.nvllm, system.aif, system.ssd_offload, system.ssd_isc, system.in_memory, "
        "system.gpu_out_of_core, system.cambricon_llm");
  }
  const host::WeightType type = WeightTypeOf(spec.model().weight_type());
  const ModelFacts model{shape, type, ModelWeightBytes(shape, type), KvCacheBytes(shape, spec.workload())};
  RETURN_IF_ERROR(system->Normalize(model, &spec));
  return spec;
}

}  // namespace strata::systems
