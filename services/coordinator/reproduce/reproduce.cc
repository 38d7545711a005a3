#include "reproduce/reproduce.h"
#include "reproduce/experiments.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "flash/nand_channel.h"
#include "flash/scripted_requester.h"
#include "services/coordinator/job/job_runner.h"
#include "services/systems/core/nand_spec.h"
#include "sweep/sweep.h"
#include "strata/sim/engine.h"

namespace strata::coordinator {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The experiments' inputs: experiments.h.
using experiments::SystemDef;
using experiments::AifSystems;
using experiments::NvllmSystems;
using experiments::AifModels;
using experiments::NvllmModels;
using experiments::AifScales;
using experiments::Knob;
using experiments::RatioDef;
using experiments::AifRatios;
using experiments::NvllmRatios;

// ---------------------------------------------------------------------------
// Running.

double Mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

std::string Num(double v, int digits = 4) {
  if (std::isnan(v)) return "n/a";
  return absl::StrFormat("%.*g", digits, v);
}

// A job of `model` on `system` with the experiment's workload.
absl::StatusOr<v1::JobSpec> MakeJob(const std::string& model, const SystemDef& system,
                                    const ReproduceOptions& o) {
  v1::JobSpec job;
  job.set_name(absl::StrCat(model, " on ", system.label));
  job.mutable_model()->set_catalog_name(model);
  job.mutable_model()->set_weight_type(v1::INT8);  // both papers evaluate INT8
  // Batch 1, a 128-token prompt and 16 decode tokens: the papers' single-
  // stream edge decoding; tokens/s settles after the first token.
  job.mutable_workload()->set_batch_size(1);
  job.mutable_workload()->set_prompt_tokens(o.quick ? 16 : 128);
  job.mutable_workload()->set_decode_tokens(o.quick ? 2 : 16);
  job.mutable_simulation()->set_seed(o.seed);
  job.mutable_simulation()->set_fidelity(o.fidelity);
  if (absl::Status s = ParseTextFormat(system.spec, job.mutable_system(), system.label); !s.ok()) {
    return absl::UnimplementedError(absl::StrCat("system '", system.label, "' (", system.spec,
                                                 ") is not built in this version: ", s.message()));
  }
  return NormalizeJobSpec(std::move(job));
}

// Jobs keyed by a label, run together; a job that cannot be built or run
// leaves its key absent and a reason in `errors`.
struct Batch {
  std::vector<std::string> keys;
  std::vector<v1::JobSpec> jobs;
  std::map<std::string, std::string> errors;

  void Add(const std::string& key, absl::StatusOr<v1::JobSpec> job) {
    if (!job.ok()) {
      errors[key] = std::string(job.status().message());
      return;
    }
    keys.push_back(key);
    jobs.push_back(*std::move(job));
  }
  std::map<std::string, v1::JobResult> Run(const ReproduceOptions& o, const std::string& what) {
    const auto results = RunJobsConcurrently(jobs, o.parallel, [&](size_t done, size_t total) {
      if (o.log) o.log(absl::StrCat(what, ": ", done, "/", total, " jobs done"));
    });
    std::map<std::string, v1::JobResult> out;
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (results[i].ok()) {
        out[keys[i]] = *results[i];
      } else {
        errors[keys[i]] = std::string(results[i].status().message());
      }
    }
    return out;
  }
};

std::string Key(const std::string& model, const std::string& system) { return absl::StrCat(model, "|", system); }

std::string SystemKind(const v1::JobSpec& job) {
  const auto* oneof = job.system().GetDescriptor()->FindOneofByName("kind");
  const auto* f = job.system().GetReflection()->GetOneofFieldDescriptor(job.system(), oneof);
  return f == nullptr ? "" : f->name();
}

// Applies a knob to a job: its paths for the job's system, scaled.
// `applied` counts the paths that matched.
absl::Status ApplyKnob(const Knob& knob, double factor, v1::JobSpec* job, int* applied) {
  const std::string prefix = absl::StrCat("system.", SystemKind(*job), ".");
  for (const std::string& path : knob.paths) {
    if (!absl::StartsWith(path, prefix)) continue;
    if (absl::Status s = ScaleField(job, path, factor); !s.ok()) return s;
    ++*applied;
  }
  return absl::OkStatus();
}

// tokens/s per model and system; the breakdown table rows alongside.
struct Grid {
  std::map<std::string, v1::JobResult> results;
  std::map<std::string, std::string> errors;
};

Grid RunGrid(const std::vector<std::string>& models, const std::vector<SystemDef>& systems,
             const ReproduceOptions& o, const std::string& what) {
  Batch batch;
  for (const auto& m : models) {
    for (const auto& s : systems) batch.Add(Key(m, s.label), MakeJob(m, s, o));
  }
  Grid g;
  g.results = batch.Run(o, what);
  g.errors = batch.errors;
  return g;
}

void FillTokens(const Grid& g, const std::vector<std::string>& models, const std::vector<SystemDef>& systems,
                Report* r) {
  r->models = models;
  for (const auto& s : systems) r->systems.push_back(s.label);
  for (const auto& m : models) {
    for (const auto& s : systems) {
      auto it = g.results.find(Key(m, s.label));
      if (it != g.results.end()) r->tokens_per_second[m][s.label] = it->second.tokens_per_second();
    }
  }
}

double Tps(const Report& r, const std::string& model, const std::string& system) {
  auto m = r.tokens_per_second.find(model);
  if (m == r.tokens_per_second.end()) return kNaN;
  auto s = m->second.find(system);
  return s == m->second.end() ? kNaN : s->second;
}

// Per-model ratios a/b over the models where both ran.
std::vector<double> Ratios(const Report& r, const std::string& a, const std::string& b) {
  std::vector<double> out;
  for (const auto& m : r.models) {
    const double x = Tps(r, m, a), y = Tps(r, m, b);
    if (!std::isnan(x) && !std::isnan(y) && y > 0) out.push_back(x / y);
  }
  return out;
}

// The reasons jobs are missing, each once with how many jobs it cost.
std::string Reasons(const std::map<std::string, std::string>& errors) {
  std::map<std::string, int> count;
  for (const auto& [key, why] : errors) ++count[why];
  std::vector<std::string> parts;
  for (const auto& [why, n] : count) parts.push_back(absl::StrCat(why, " (", n, " job", n == 1 ? "" : "s", ")"));
  return absl::StrJoin(parts, "; ");
}

std::string MissingNote(const Grid& g) { return Reasons(g.errors); }

Table BreakdownTable(const std::string& name, const Grid& g, const std::vector<std::string>& models,
                     const std::vector<SystemDef>& systems) {
  Table t{name, "where a token's time goes (us per token)",
          {"model", "system", "tokens_per_s", "flash_array", "ecc", "flash_bus", "pe_compute", "host_attention",
           "host_gemv", "host_other", "pcie_nvme", "synchronization", "setup_s"},
          {}};
  for (const auto& m : models) {
    for (const auto& s : systems) {
      auto it = g.results.find(Key(m, s.label));
      if (it == g.results.end()) continue;
      const auto& r = it->second;
      const auto& b = r.time_per_token_breakdown();
      t.rows.push_back({m, s.label, Num(r.tokens_per_second()), Num(b.flash_array_us(), 6), Num(b.ecc_us(), 6),
                        Num(b.flash_bus_us(), 6), Num(b.pe_compute_us(), 6), Num(b.host_attention_us(), 6),
                        Num(b.host_gemv_us(), 6), Num(b.host_other_us(), 6), Num(b.pcie_nvme_us(), 6),
                        Num(b.synchronization_us(), 6), Num(r.setup_seconds())});
    }
  }
  return t;
}

// The page cache of `system` (an ssd_offload job) per model while decoding.
Table PageCacheTable(const std::string& name, const Grid& g, const std::vector<std::string>& models,
                     const std::string& system) {
  Table t{name,
          absl::StrCat(system, ": the page cache while decoding (hit rate over chunk touches; SSD bytes read / decode "
                       "time)"),
          {"model", "file_gib", "cache_gib", "hit_rate", "effective_ssd_read_gbps", "tokens_per_s"},
          {}};
  for (const auto& m : models) {
    auto it = g.results.find(Key(m, system));
    if (it == g.results.end()) continue;
    const v1::PageCacheResult& pc = it->second.page_cache();
    t.rows.push_back({m, Num(pc.file_gib()), Num(pc.cache_gib()), Num(pc.hit_rate(), 3),
                      Num(pc.effective_read_gbps()), Num(it->second.tokens_per_second())});
  }
  return t;
}

// Where a token's energy goes (issue 20: services/systems/core/energy_model.h):
// joules per decode token by part, the data-movement share, average power.
// The last column labels the row for the energy-by-part figure.
const std::vector<std::string> kEnergyParts = {"flash_array", "ecc",  "flash_bus", "pe_compute",
                                               "host_compute", "dram", "pcie_nvme", "static", "flash_program"};

Table EnergyTable(const std::string& name, const Grid& g, const std::vector<std::string>& models,
                  const std::vector<SystemDef>& systems) {
  Table t{name, "energy per decode token by part (J; prefill and setup spread over the tokens)",
          {"model", "system", "joules_per_token", "data_movement_j"}, {}};
  for (const auto& p : kEnergyParts) t.columns.push_back(p);
  t.columns.push_back("average_watts");
  t.columns.push_back("label");
  for (const auto& m : models) {
    for (const auto& s : systems) {
      auto it = g.results.find(Key(m, s.label));
      if (it == g.results.end()) continue;
      const v1::EnergyBreakdown& e = it->second.energy();
      const v1::EnergyParts& p = e.per_token();
      t.rows.push_back({m, s.label, Num(e.joules_per_token(), 6), Num(e.data_movement_joules_per_token(), 6),
                        Num(p.flash_array(), 6), Num(p.ecc(), 6), Num(p.flash_bus(), 6), Num(p.pe_compute(), 6),
                        Num(p.host_compute(), 6), Num(p.dram(), 6), Num(p.pcie_nvme(), 6), Num(p.static_power(), 6),
                        Num(p.flash_program(), 6),
                        Num(e.average_watts()), absl::StrCat(m, " ", s.label)});
    }
  }
  return t;
}

// How much each energy part moves a system's energy-per-token ratio to
// NVLLM on `model`: the part's coefficients (energy_model.cc) scaled by 0.5
// and 2. Energy is linear in its coefficients, so this needs no new run: a
// part's joules scale with them. Rows by swing, largest first; the first
// three are the coefficients that move the ratio most.
Table EnergySensitivityTable(const std::string& name, const Grid& g, const std::string& model,
                             const std::vector<std::string>& others) {
  Table t{name, absl::StrCat("energy per token ratio to nvllm on ", model, ": each part's coefficients x0.5 and x2"),
          {"ratio", "part", "base", "at_0.5x", "at_2x", "swing"}, {}};
  auto nvllm = g.results.find(Key(model, "nvllm"));
  if (nvllm == g.results.end()) return t;
  auto parts = [](const v1::JobResult& r) {
    const v1::EnergyParts& p = r.energy().per_token();
    return std::vector<double>{p.flash_array(),  p.ecc(),       p.flash_bus(),      p.pe_compute(), p.host_compute(),
                               p.dram(),         p.pcie_nvme(), p.static_power(),   p.flash_program()};
  };
  const std::vector<double> n = parts(nvllm->second);
  for (const auto& other : others) {
    auto it = g.results.find(Key(model, other));
    if (it == g.results.end()) continue;
    const std::vector<double> o = parts(it->second);
    auto ratio = [&](size_t scaled, double factor) {
      double num = 0, den = 0;
      for (size_t i = 0; i < o.size(); ++i) {
        num += o[i] * (i == scaled ? factor : 1);
        den += n[i] * (i == scaled ? factor : 1);
      }
      return den > 0 ? num / den : kNaN;
    };
    std::vector<std::vector<std::string>> rows;
    std::vector<std::pair<double, size_t>> swing;
    for (size_t i = 0; i < kEnergyParts.size(); ++i) {
      swing.push_back({std::abs(ratio(i, 2) - ratio(i, 0.5)), i});
    }
    std::sort(swing.begin(), swing.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [s, i] : swing) {
      t.rows.push_back({absl::StrCat(other, " / nvllm"), kEnergyParts[i], Num(ratio(i, 1), 4), Num(ratio(i, 0.5), 4),
                        Num(ratio(i, 2), 4), Num(s, 4)});
    }
  }
  return t;
}

// Stacked bars of EnergyTable's parts, one bar per model and system. A
// linear axis: gnuplot refuses a log scale on stacked histograms ("Log scale
// on Y is incompatible with stacked histogram plot"), and on a log axis the
// parts' heights would not add up to the total anyway.
Figure EnergyFigure(const std::string& name, const std::string& title) {
  std::string plot = absl::StrCat(
      "set datafile separator comma\nset style data histograms\nset style histogram rowstacked\n"
      "set style fill solid 0.85 border -1\nset ylabel 'J per token'\n"
      "set xtics rotate by -45 font ',7'\nset key outside right font ',8'\nset title '", title, "'\nplot ");
  const size_t label_column = 4 + kEnergyParts.size() + 2;
  for (size_t i = 0; i < kEnergyParts.size(); ++i) {
    absl::StrAppend(&plot, i == 0 ? "" : ", ", "'", name, ".csv' using ", 5 + i,
                    i == 0 ? absl::StrCat(":xtic(", label_column, ")") : "", " title '", kEnergyParts[i], "'");
  }
  return {name, name, plot + "\n"};
}

Table ModelsTable(const std::string& name, const Report& r, const std::vector<RatioDef>& ratios) {
  Table t{name, "tokens/s per model and system, and the per-model ratios", {"model"}, {}};
  for (const auto& s : r.systems) t.columns.push_back(s);
  for (const auto& q : ratios) t.columns.push_back(q.name);
  for (const auto& m : r.models) {
    std::vector<std::string> row{m};
    for (const auto& s : r.systems) row.push_back(Num(Tps(r, m, s)));
    for (const auto& q : ratios) row.push_back(Num(Tps(r, m, q.numerator) / Tps(r, m, q.denominator), 3));
    t.rows.push_back(row);
  }
  return t;
}

Figure ModelsFigure(const std::string& name, const Report& r, const std::string& title) {
  std::string plot = absl::StrCat(
      "set datafile separator comma\nset style data histograms\nset style histogram clustered gap 1\n"
      "set style fill solid 0.85 border -1\nset logscale y\nset ylabel 'tokens/s (log)'\nset xlabel 'model'\n"
      "set xtics rotate by -30\nset bmargin 6\n"
      // The CSV's header names the columns: not a data row (it used to take
      // the first histogram slots, leaving the left of the plot empty).
      "set key autotitle columnhead\nset xrange [-0.6:", r.models.size(), " - 0.4]\n"
      "set key top right\nset title '", title, "'\nplot ");
  bool first = true;
  for (size_t i = 0; i < r.systems.size(); ++i) {
    // gnuplot rejects a histogram column without one valid point.
    const bool any = std::any_of(r.models.begin(), r.models.end(),
                                 [&](const std::string& m) { return !std::isnan(Tps(r, m, r.systems[i])); });
    if (!any) continue;
    absl::StrAppend(&plot, first ? "" : ", ", "'", name, ".csv' using ", i + 2, first ? ":xtic(1)" : "",
                    " title '", r.systems[i], "'");
    first = false;
  }
  return {name, name, plot + "\n"};
}

Figure TornadoFigure(const std::string& name, const std::string& title) {
  // Bars from the ratio at the low factor to the ratio at the high one,
  // relative to the base.
  return {name, name,
          absl::StrCat("set datafile separator comma\nset title '", title,
                       "'\nset xlabel 'headline ratio relative to its base value'\nset ytics font ',8'\n"
                       "set style fill solid 0.6 border -1\nset key off\nset grid x\nset xrange [*:*]\n"
                       "set yrange [-1:*]\nset arrow from 1, graph 0 to 1, graph 1 nohead dt 2\n"
                       "plot '", name,
                       ".csv' skip 1 using (($6+$8)/(2*$4)):0:($6/$4):($8/$4):($0-0.35):($0+0.35):"
                       "ytic(sprintf('%s: %s', strcol(1), strcol(2))) with boxxyerror\n")};
}

// The sensitivity study: for each ratio, on one model, every knob at 0.5x
// and 2x; the three with the widest swing are the "most influential".
absl::StatusOr<Table> Sensitivity(const std::string& name, const std::string& model,
                                  const std::vector<SystemDef>& systems, const std::vector<RatioDef>& ratios,
                                  const ReproduceOptions& o, std::vector<Headline>* notes) {
  auto system = [&](const std::string& label) -> const SystemDef& {
    for (const auto& s : systems) {
      if (s.label == label) return s;
    }
    return systems.front();  // unreachable: every label is checked below
  };
  for (const auto& q : ratios) {
    for (const std::string& label : {q.numerator, q.denominator}) {
      if (std::none_of(systems.begin(), systems.end(), [&](const SystemDef& s) { return s.label == label; })) {
        return absl::InternalError(absl::StrCat("ratio ", q.name, " names system '", label, "', which ", name,
                                                " does not define"));
      }
    }
  }
  Batch batch;
  for (const auto& q : ratios) {
    for (const std::string& label : {q.numerator, q.denominator}) {
      batch.Add(absl::StrCat(q.name, "|base|", label), MakeJob(model, system(label), o));
    }
    for (const auto& k : q.knobs) {
      for (const auto& [f, end] : {std::pair{k.low, "low"}, std::pair{k.high, "high"}}) {
        int applied = 0, built = 0;
        for (const std::string& label : {q.numerator, q.denominator}) {
          auto job = MakeJob(model, system(label), o);
          if (job.ok()) {
            ++built;
            if (absl::Status s = ApplyKnob(k, f, &*job, &applied); !s.ok()) return s;
          }
          batch.Add(absl::StrCat(q.name, "|", k.name, "|", end, "|", label), job);
        }
        if (applied == 0 && built == 2) {
          return absl::InternalError(absl::StrCat("knob '", k.name, "' of ", q.name, " matches neither system"));
        }
      }
    }
  }
  auto res = batch.Run(o, absl::StrCat(name, " (", model, ")"));
  auto ratio = [&](const RatioDef& q, const std::string& variant) {
    auto a = res.find(absl::StrCat(q.name, "|", variant, "|", q.numerator));
    auto b = res.find(absl::StrCat(q.name, "|", variant, "|", q.denominator));
    if (a == res.end() || b == res.end()) return kNaN;
    return a->second.tokens_per_second() / b->second.tokens_per_second();
  };
  Table t{name,
          absl::StrCat("sensitivity on ", model,
                       ": each parameter scaled down and up (0.5x and 2x unless its range is narrower); the three "
                       "widest swings per ratio marked *"),
          {"ratio", "parameter", "source", "base", "low_factor", "at_low", "high_factor", "at_high", "swing", "top3"},
          {}};
  for (const auto& q : ratios) {
    const double base = ratio(q, "base");
    struct Row { const Knob* k; double lo, hi, swing; };
    std::vector<Row> rows;
    for (const auto& k : q.knobs) {
      const double lo = ratio(q, absl::StrCat(k.name, "|low")), hi = ratio(q, absl::StrCat(k.name, "|high"));
      rows.push_back({&k, lo, hi, std::fabs(hi - lo)});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return (std::isnan(b.swing) ? -1 : b.swing) < (std::isnan(a.swing) ? -1 : a.swing);
    });
    for (size_t i = 0; i < rows.size(); ++i) {
      t.rows.push_back({q.name, rows[i].k->name, rows[i].k->source, Num(base), Num(rows[i].k->low, 3),
                        Num(rows[i].lo), Num(rows[i].k->high, 3), Num(rows[i].hi), Num(rows[i].swing),
                        i < 3 && !std::isnan(rows[i].swing) ? "*" : ""});
    }
  }
  if (!batch.errors.empty()) notes->push_back({"sensitivity runs missing", kNaN, kNaN, Reasons(batch.errors)});
  return t;
}

Table HeadlineTable(const std::string& name, const std::vector<Headline>& h) {
  Table t{name, "headline results: ours against the published value", {"claim", "ours", "published",
                                                                        "ours/published", "note"}, {}};
  for (const auto& x : h) {
    t.rows.push_back({x.claim, Num(x.ours), Num(x.published), Num(x.ours / x.published, 3), x.note});
  }
  return t;
}

// cr-read's array gain: one plane reads a be-enc block's LSB pages (AiF's
// IFP layout, wordline after wordline) with and without cr-read; the NAND
// model's phases give the times (ECC and reliability off: the array alone).
absl::StatusOr<double> MeasureCrReadGain(const ReproduceOptions& o) {
  auto block_time = [&](bool cr) -> absl::StatusOr<sim::SimTime> {
    nand::NandConfig c = nand::AifDefaultNandConfig();
    c.geometry.channels = 1;
    c.geometry.dies_per_channel = 1;
    c.geometry.blocks_per_plane = 4;
    c.ecc.kind = nand::EccKind::kNone;
    c.reliability.enabled = false;
    c.timing.cr_read = cr;
    c.fidelity = systems::FidelityOf(o.fidelity);
    sim::Simulation sim;
    auto array = nand::BuildNandArray(c, &sim);
    if (!array.ok()) return array.status();
    array->dies[0][0]->SetBlockCoding(0, 0, nand::BlockCoding::kBiasErrorEncoding);
    nand::NandRequest read;
    read.id = 1;
    read.op = nand::NandOp::kRead;
    read.page_count = static_cast<uint16_t>(c.geometry.wordlines_per_block);
    read.page_stride = static_cast<uint8_t>(c.geometry.bits_per_cell);  // LSB pages only
    auto* requester = sim.Emplace<nand::ScriptedRequester>("", 1, std::vector<nand::ScriptedRequester::Scripted>{
                                                                       {0, read, sim::SimTime::Zero()}});
    if (auto s = sim.Connect(requester->id(), "ch0", array->channels[0]->id(), "host", sim::SimTime::Nanoseconds(10));
        !s.ok()) {
      return s;
    }
    if (auto run = sim::Run(sim, sim::RunOptions{}); !run.ok()) return run.status();
    if (requester->received.size() != 1 || requester->received[0].response.status != nand::NandStatus::kOk) {
      return absl::InternalError("cr-read measurement: the block read did not complete");
    }
    return requester->received[0].time;
  };
  auto without = block_time(false);
  if (!without.ok()) return without.status();
  auto with = block_time(true);
  if (!with.ok()) return with.status();
  return without->ToSeconds() / with->ToSeconds();
}

}  // namespace

absl::Status ScaleField(v1::JobSpec* job, const std::string& path, double factor) {
  using google::protobuf::FieldDescriptor;
  auto ref = ResolveScalarField(job, path, "sensitivity parameter");
  if (!ref.ok()) return ref.status();
  google::protobuf::Message* msg = ref->message;
  const FieldDescriptor* f = ref->field;
  const google::protobuf::Reflection* r = msg->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(msg, f, r->GetDouble(*msg, f) * factor); break;
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(msg, f, std::max(1, static_cast<int32_t>(std::lround(r->GetInt32(*msg, f) * factor))));
      break;
    default: return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a double or int32 field"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Report> ReproduceAif(const ReproduceOptions& o) {
  Report r;
  r.paper = "aif";
  const auto models = AifModels(o.quick);
  const auto& systems = AifSystems();
  const Grid grid = RunGrid(models, systems, o, "aif: models x systems");
  FillTokens(grid, models, systems, &r);

  // Scaling: AiF with 2, 4, ... times its chips; the ceiling from the 1x
  // run's own breakdown: a token is the sum of its parts, so as internal
  // bandwidth goes to infinity the flash array part vanishes, and with it
  // the time the host spends waiting on the flash (synchronisation, which
  // parallel attention + FFN models have); the host and NVMe parts remain.
  Batch scaling;
  for (const auto& m : models) {
    for (int k : AifScales(o.quick)) {
      if (k == 1) continue;  // the grid's "aif" run
      // k x AiF's 16 chips: chips per channel first (AiF's capacity
      // scaling), then channels once a channel holds services/nand's 16.
      const int chips = std::min(2 * k, 16), channels = 16 * k / chips;
      SystemDef s{"aif", absl::StrCat("aif { channels: ", channels, " chips_per_channel: ", chips, " }"), ""};
      scaling.Add(absl::StrCat(m, "|", k), MakeJob(m, s, o));
    }
  }
  const auto scaled = scaling.Run(o, "aif: internal-bandwidth scaling");
  Table ceiling{"aif_ceiling", "the ceiling as internal bandwidth goes to infinity: the host and NVMe parts of a token",
                {"model", "tokens_per_s_1x", "ceiling_tokens_per_s", "host_attention_us", "host_other_us",
                 "host_gemv_us", "pcie_nvme_us", "set_mostly_by"},
                {}};
  for (const auto& m : models) {
    auto base = grid.results.find(Key(m, "aif"));
    if (base == grid.results.end()) continue;
    r.scaling[m][1] = base->second.tokens_per_second();
    for (int k : AifScales(o.quick)) {
      auto it = scaled.find(absl::StrCat(m, "|", k));
      if (it != scaled.end()) r.scaling[m][k] = it->second.tokens_per_second();
    }
    const auto& b = base->second.time_per_token_breakdown();
    const double rest = base->second.time_per_token_us() - b.flash_array_us() - b.synchronization_us();
    r.ceiling[m] = 1e6 / rest;
    const std::pair<const char*, double> parts[] = {{"host attention", b.host_attention_us()},
                                                    {"host other (norms, softmax, rotary, per-op)", b.host_other_us()},
                                                    {"host GEMV", b.host_gemv_us()},
                                                    {"PCIe/NVMe control plane", b.pcie_nvme_us()}};
    const auto* top = std::max_element(std::begin(parts), std::end(parts),
                                       [](const auto& x, const auto& y) { return x.second < y.second; });
    ceiling.rows.push_back({m, Num(r.scaling[m][1]), Num(r.ceiling[m]), Num(b.host_attention_us(), 6),
                            Num(b.host_other_us(), 6), Num(b.host_gemv_us(), 6), Num(b.pcie_nvme_us(), 6),
                            top->first});
  }
  Table scaling_table{"aif_scaling", "AiF tokens/s as internal bandwidth scales (k x the chips)", {"model"},
                      {}};
  Table speedup{"aif_scaling_speedup", "AiF speedup over 1x internal bandwidth, per model (and linear)", {"scale"},
                {}};
  for (int k : AifScales(o.quick)) scaling_table.columns.push_back(absl::StrCat(k, "x"));
  scaling_table.columns.push_back("ceiling");
  for (const auto& m : models) {
    if (!r.scaling.count(m)) continue;
    std::vector<std::string> row{m};
    for (int k : AifScales(o.quick)) row.push_back(Num(r.scaling[m].count(k) ? r.scaling[m][k] : kNaN));
    row.push_back(Num(r.ceiling[m]));
    scaling_table.rows.push_back(row);
    speedup.columns.push_back(m);
  }
  speedup.columns.push_back("linear");
  for (int k : AifScales(o.quick)) {
    std::vector<std::string> row{std::to_string(k)};
    for (const auto& m : models) {
      if (!r.scaling.count(m)) continue;
      row.push_back(Num(r.scaling[m].count(k) ? r.scaling[m][k] / r.scaling[m][1] : kNaN));
    }
    row.push_back(std::to_string(k));
    speedup.rows.push_back(row);
  }

  // Headlines.
  auto cr = MeasureCrReadGain(o);
  if (!cr.ok()) return cr.status();
  r.headlines.push_back({"cr-read array read bandwidth gain", *cr, 2.8,
                         "one plane, a be-enc block's 256 LSB pages: (t_PRE + t_SENSE + t_DISCH) vs t_RECY + t_SENSE"});
  std::vector<double> internal;
  for (const auto& m : models) {
    auto a = grid.results.find(Key(m, "aif")), b = grid.results.find(Key(m, "aif--"));
    if (a == grid.results.end() || b == grid.results.end()) continue;
    // Bytes per token are the same; the flash array's time per token differs.
    internal.push_back(b->second.time_per_token_breakdown().flash_array_us() /
                       a->second.time_per_token_breakdown().flash_array_us());
  }
  r.headlines.push_back({"internal flash bandwidth gain (AiF vs AiF--)", Mean(internal), 4.0,
                         "mean over models of the flash-array time per token, AiF-- / AiF"});
  const std::string missing = MissingNote(grid);
  for (const auto& q : AifRatios()) {
    const auto v = Ratios(r, q.numerator, q.denominator);
    const double published = q.denominator == "memory+ssd" ? 14.6 : q.denominator == "in-memory" ? 1.4 : 2.67;
    r.headlines.push_back({absl::StrCat(q.name, " tokens/s"), Mean(v), published,
                           v.size() == models.size()
                               ? "arithmetic mean of per-model ratios, as the paper"
                               : absl::StrCat("over ", v.size(), " of ", models.size(), " models. ", missing)});
  }
  std::vector<double> per_doubling;
  for (const auto& [m, pts] : r.scaling) {
    for (int k : {1, 2}) {
      if (pts.count(k) && pts.count(2 * k)) per_doubling.push_back(pts.at(2 * k) / pts.at(k));
    }
  }
  const double lo = per_doubling.empty() ? kNaN : *std::min_element(per_doubling.begin(), per_doubling.end());
  const double hi = per_doubling.empty() ? kNaN : *std::max_element(per_doubling.begin(), per_doubling.end());
  r.headlines.push_back({"tokens/s gain per doubling of chips (1->2->4x), lowest", lo, 1.35,
                         "the paper: 1.35-1.68x per capacity doubling (1, 2, 4 TB)"});
  r.headlines.push_back({"tokens/s gain per doubling of chips (1->2->4x), highest", hi, 1.68,
                         scaling.errors.empty() ? "" : absl::StrCat("missing: ", Reasons(scaling.errors))});

  r.tables.push_back(ModelsTable("aif_models", r, AifRatios()));
  r.tables.push_back(scaling_table);
  r.tables.push_back(speedup);
  r.tables.push_back(ceiling);
  r.tables.push_back(BreakdownTable("aif_breakdown", grid, models, systems));
  r.tables.push_back(PageCacheTable("aif_page_cache", grid, models, "memory+ssd"));
  r.tables.push_back(EnergyTable("aif_energy", grid, models, systems));
  r.figures.push_back(EnergyFigure("aif_energy", "AiF and its baselines: energy per token by part"));
  r.figures.push_back(ModelsFigure("aif_models", r, "AiF (ISCA 25): tokens/s per model, INT8, batch 1"));
  r.figures.push_back(
      {"aif_page_cache", "aif_page_cache",
       "set datafile separator comma\nset style data histograms\nset style histogram clustered gap 1\n"
       "set style fill solid 0.85 border -1\nset yrange [0:1.05]\nset ylabel 'page cache hit rate'\n"
       "set y2range [0:*]\nset y2tics\nset ytics nomirror\nset y2label 'effective SSD read GB/s'\n"
       "set xlabel 'model'\nset xtics rotate by -30\nset key top right\nset key autotitle columnhead\n"
       "set title 'Memory+SSD (llama.cpp mmap): page cache hit rate and SSD read bandwidth while decoding'\n"
       "plot 'aif_page_cache.csv' using 4:xtic(1) title 'hit rate', '' using 5 axes x1y2 title 'effective SSD read GB/s'\n"});
  {
    std::string plot =
        "set datafile separator comma\nset logscale x 2\nset logscale y 2\nset xlabel 'internal bandwidth (x AiF)'\n"
        "set ylabel 'tokens/s speedup over 1x'\nset key top left font ',8'\n"
        "set title 'AiF: sub-linear scaling with internal bandwidth'\nplot ";
    for (size_t i = 1; i < speedup.columns.size(); ++i) {
      absl::StrAppend(&plot, i == 1 ? "" : ", ", "'aif_scaling_speedup.csv' using 1:", i + 1,
                      " with linespoints title '", speedup.columns[i], "'",
                      speedup.columns[i] == "linear" ? " dt 2 lc rgb 'gray'" : "");
    }
    r.figures.push_back({"aif_scaling", "aif_scaling_speedup", plot + "\n"});
  }
  const std::string probe = o.quick ? models.front() : "llama-2-13b";
  auto sens = Sensitivity("aif_sensitivity", probe, systems, AifRatios(), o, &r.headlines);
  if (!sens.ok()) return sens.status();
  r.tables.push_back(*sens);
  r.figures.push_back(TornadoFigure("aif_sensitivity", absl::StrCat("AiF headline ratios: sensitivity on ", probe)));
  // Last: the sensitivity study may add a note to the headlines.
  r.tables.insert(r.tables.begin(), HeadlineTable("aif_headline", r.headlines));
  return r;
}

absl::StatusOr<Report> ReproduceNvllm(const ReproduceOptions& o) {
  Report r;
  r.paper = "nvllm";
  const auto models = NvllmModels(o.quick);
  const auto& systems = NvllmSystems();
  const Grid grid = RunGrid(models, systems, o, "nvllm: models x systems");
  FillTokens(grid, models, systems, &r);
  const std::string missing = MissingNote(grid);
  auto note = [&](const std::vector<double>& v, const std::string& how) {
    return v.size() == models.size() ? how
                                     : absl::StrCat(how, "; over ", v.size(), " of ", models.size(), " models. ", missing);
  };
  const auto a800 = Ratios(r, "nvllm", "a800");
  const auto ssd = Ratios(r, "nvllm", "ssd-like");
  const auto aif = Ratios(r, "nvllm", "aif");
  auto min_of = [](const std::vector<double>& v) { return v.empty() ? kNaN : *std::min_element(v.begin(), v.end()); };
  auto max_of = [](const std::vector<double>& v) { return v.empty() ? kNaN : *std::max_element(v.begin(), v.end()); };
  r.headlines.push_back({"nvllm / a800 speedup, lowest model", min_of(a800), 16.7,
                         note(a800, "published range 16.7-37.9x over OPT and LLaMA models")});
  r.headlines.push_back({"nvllm / a800 speedup, highest model", max_of(a800), 37.9, ""});
  r.headlines.push_back({"nvllm / ssd-like speedup, highest model", max_of(ssd), 4.7,
                         note(ssd, "published: up to 4.7x")});
  r.headlines.push_back({"nvllm / aif speedup, mean", Mean(aif), 1.3, note(aif, "published: 1.3x")});
  r.headlines.push_back({"CMOS area overhead (%)", kNaN, 2.7,
                         "a published synthesis result (28 nm), shown, not simulated: strata models time, not area"});
  {
    // Per model where both ran: Cambricon-LLM's data-movement joules per
    // token over NVLLM's (the nvllm_energy table's data_movement_j).
    std::vector<double> energy;
    for (const auto& m : models) {
      auto c = grid.results.find(Key(m, "cambricon-llm"));
      auto n = grid.results.find(Key(m, "nvllm"));
      if (c == grid.results.end() || n == grid.results.end()) continue;
      const double nvllm = n->second.energy().data_movement_joules_per_token();
      if (nvllm > 0) energy.push_back(c->second.energy().data_movement_joules_per_token() / nvllm);
    }
    r.headlines.push_back(
        {"cambricon-llm / nvllm data-movement energy per token, mean", Mean(energy), 5.63,
         note(energy, "published (NVLLM 4.5) against the tiled Cambricon-LLM, as ours: its NPU reads ~10% of the "
                      "weights over the channels; NVLLM moves its attention weights from DRAM "
                      "(docs/cambricon-llm.md)")});
  }
  const std::vector<RatioDef> ratios = {{"nvllm / a800", "nvllm", "a800", {}},
                                        {"nvllm / ssd-like", "nvllm", "ssd-like", {}},
                                        {"nvllm / aif", "nvllm", "aif", {}}};
  r.tables.push_back(ModelsTable("nvllm_models", r, ratios));
  r.tables.push_back(BreakdownTable("nvllm_breakdown", grid, models, systems));
  r.tables.push_back(EnergyTable("nvllm_energy", grid, models, systems));
  r.tables.push_back(EnergySensitivityTable("nvllm_energy_sensitivity", grid, o.quick ? models.front() : "opt-30b",
                                            {"a800", "ssd-like", "aif"}));
  r.figures.push_back(EnergyFigure("nvllm_energy", "NVLLM and its baselines: energy per token by part"));
  r.figures.push_back(ModelsFigure("nvllm_models", r, "NVLLM: tokens/s per model, INT8, batch 1"));
  const std::string probe = o.quick ? models.front() : "opt-30b";
  auto sens = Sensitivity("nvllm_sensitivity", probe, systems, NvllmRatios(), o, &r.headlines);
  if (!sens.ok()) return sens.status();
  r.tables.push_back(*sens);
  r.figures.push_back(
      TornadoFigure("nvllm_sensitivity", absl::StrCat("NVLLM headline ratios: sensitivity on ", probe)));
  // Last: the sensitivity study may add a note to the headlines.
  r.tables.insert(r.tables.begin(), HeadlineTable("nvllm_headline", r.headlines));
  return r;
}

}  // namespace strata::coordinator
