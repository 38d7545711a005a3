#include "results/result_columns.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "strata/common/csv.h"

namespace strata::coordinator {
namespace {

class ColumnWriter {
 public:
  template <typename T>
  void Add(std::string name, const T& value) {
    columns_.names.push_back(std::move(name));
    columns_.values.push_back(absl::StrCat(value));
  }
  CsvColumns Take() { return std::move(columns_); }

 private:
  CsvColumns columns_;
};

void AddIo(ColumnWriter& w, const v1::SsdIoResult& io, const std::string& prefix) {
  w.Add(prefix + "commands", io.commands());
  w.Add(prefix + "errors", io.errors());
  w.Add(prefix + "iops", io.iops());
  w.Add(prefix + "mb_per_second", io.mb_per_second());
  w.Add(prefix + "mean_us", io.all().mean_us());
  w.Add(prefix + "p50_us", io.all().p50_us());
  w.Add(prefix + "p99_us", io.all().p99_us());
  w.Add(prefix + "p999_us", io.all().p999_us());
  w.Add(prefix + "max_us", io.all().max_us());
  w.Add(prefix + "read_p99_us", io.read().p99_us());
  w.Add(prefix + "write_p99_us", io.write().p99_us());
  w.Add(prefix + "write_amplification", io.write_amplification());
  w.Add(prefix + "gc_page_copies", io.gc_page_copies());
  w.Add(prefix + "gc_erases", io.gc_erases());
  w.Add(prefix + "mapping_cache_hit_ratio", io.mapping_cache_hit_ratio());
  w.Add(prefix + "translation_page_reads", io.translation_page_reads());
  w.Add(prefix + "translation_page_writes", io.translation_page_writes());
}

}  // namespace

CsvColumns ResultCsvColumns(const v1::JobResult& r) {
  ColumnWriter w;
  w.Add("job", r.job_name());
  const bool io_only = r.model().empty() && r.has_ssd_io();
  if (io_only) {
    w.Add("system", r.system());
    AddIo(w, r.ssd_io(), "");
  } else {
    const auto& b = r.time_per_token_breakdown();
    w.Add("model", r.model());
    w.Add("system", r.system());
    w.Add("tokens_per_second", r.tokens_per_second());
    w.Add("time_per_token_us", r.time_per_token_us());
    w.Add("flash_array_us", b.flash_array_us());
    w.Add("ecc_us", b.ecc_us());
    w.Add("flash_bus_us", b.flash_bus_us());
    w.Add("pe_compute_us", b.pe_compute_us());
    w.Add("host_attention_us", b.host_attention_us());
    w.Add("host_gemv_us", b.host_gemv_us());
    w.Add("host_other_us", b.host_other_us());
    w.Add("pcie_nvme_us", b.pcie_nvme_us());
    w.Add("synchronization_us", b.synchronization_us());
    w.Add("prefill_seconds", r.prefill_seconds());
    w.Add("setup_seconds", r.setup_seconds());
    w.Add("weight_bytes_per_token", r.weight_bytes_per_token());
    const auto& e = r.energy();
    w.Add("energy_joules_per_token", e.joules_per_token());
    w.Add("energy_flash_array_j", e.per_token().flash_array());
    w.Add("energy_ecc_j", e.per_token().ecc());
    w.Add("energy_flash_bus_j", e.per_token().flash_bus());
    w.Add("energy_pe_compute_j", e.per_token().pe_compute());
    w.Add("energy_host_compute_j", e.per_token().host_compute());
    w.Add("energy_dram_j", e.per_token().dram());
    w.Add("energy_pcie_nvme_j", e.per_token().pcie_nvme());
    w.Add("energy_static_j", e.per_token().static_power());
    w.Add("energy_flash_program_j", e.per_token().flash_program());
    w.Add("energy_data_movement_j", e.data_movement_joules_per_token());
    w.Add("average_watts", e.average_watts());
    w.Add("energy_delay_joule_seconds", e.energy_delay_joule_seconds());
    w.Add("energy_joules", e.joules());
    if (r.has_ssd_io()) AddIo(w, r.ssd_io(), "user_io_");
  }
  w.Add("simulated_seconds", r.simulated_seconds());
  w.Add("events", r.events());
  w.Add("wall_seconds", r.wall_seconds());
  w.Add("partitions", r.partitions());
  w.Add("sync", r.sync());
  w.Add("wire", r.wire());
  w.Add("windows", r.windows());
  w.Add("null_messages", r.null_messages());
  w.Add("blocked_fraction", r.blocked_fraction());
  w.Add("digest", r.digest());
  return w.Take();
}

std::string ResultCsv(const v1::JobResult& result) {
  const CsvColumns columns = ResultCsvColumns(result);
  return CsvLine(columns.names) + CsvLine(columns.values);
}

v1::JobProgress FinalProgress(const v1::JobResult& result, uint32_t tokens_total) {
  v1::JobProgress p;
  p.set_tokens_done(tokens_total);
  p.set_tokens_total(tokens_total);
  p.set_simulated_seconds(result.simulated_seconds());
  p.set_events(result.events());
  p.set_wall_seconds(result.wall_seconds());
  p.set_events_per_second(result.wall_seconds() > 0 ? result.events() / result.wall_seconds() : 0);
  return p;
}

}  // namespace strata::coordinator
