// strata reproduce's experiments: which systems each paper compares, on
// which models, which ratios it reports and which parameters the
// sensitivity study scales for each (with the source of their values).
// reproduce.cc runs them; render.cc writes the report.
#ifndef STRATA_COORDINATOR_REPRODUCE_EXPERIMENTS_H_
#define STRATA_COORDINATOR_REPRODUCE_EXPERIMENTS_H_

#include <string>
#include <vector>

namespace strata::coordinator::experiments {

struct SystemDef {
  std::string label;
  std::string spec;  // strata.v1.SystemSpec in text format
  std::string what;  // one line for the docs and tables
};

// A parameter the sensitivity study scales, by 0.5 and 2 unless its range
// is narrower. Each path applies to the jobs whose system it names
// (system.<kind>.…).
struct Knob {
  std::string name;
  std::string source;
  std::vector<std::string> paths;
  double low = 0.5, high = 2.0;
};

struct RatioDef {
  std::string name;  // "aif / in-memory"
  std::string numerator, denominator;  // system labels
  std::vector<Knob> knobs;
};

const std::vector<SystemDef>& AifSystems();
const std::vector<SystemDef>& NvllmSystems();
std::vector<std::string> AifModels(bool quick);
std::vector<std::string> NvllmModels(bool quick);
std::vector<int> AifScales(bool quick);
std::vector<RatioDef> AifRatios();
std::vector<RatioDef> NvllmRatios();

}  // namespace strata::coordinator::experiments

#endif  // STRATA_COORDINATOR_REPRODUCE_EXPERIMENTS_H_
