#include "strata/common/command_line.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "strata/common/version.h"

namespace strata {
namespace {

// Abseil's own flags (--flagfile, --helpfull, ...) are defined in its
// sources; every other flag is the binary's.
bool IsAbseilFile(absl::string_view filename) { return absl::StrContains(filename, "absl/"); }

// Flag files as a reader of the source tree names them, without the build
// machine's checkout path.
std::string SourceRelative(absl::string_view filename) {
  for (absl::string_view top : {"/services/", "/sim-core/", "/common/"}) {
    if (const size_t at = filename.rfind(top); at != absl::string_view::npos) {
      return std::string(filename.substr(at + 1));
    }
  }
  while (absl::ConsumePrefix(&filename, "../") || absl::ConsumePrefix(&filename, "./")) {
  }
  return std::string(filename);
}

[[noreturn]] void ExitBadInput(absl::string_view program, absl::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s (%.*s --help lists the flags)\n", static_cast<int>(program.size()),
               program.data(), static_cast<int>(message.size()), message.data(), static_cast<int>(program.size()),
               program.data());
  std::exit(kExitBadInput);
}

// Flags whose value Abseil's parser interprets itself (files to read,
// environment variables, flags to tolerate): not checked here.
bool ParsedByAbseil(absl::string_view name) {
  return name == "flagfile" || name == "fromenv" || name == "tryfromenv" || name == "undefok";
}

// Abseil's other usage flags, which its parser handles outside the flag
// registry (--helpon=FILE, --helpmatch=SUBSTRING, ...).
bool IsAbseilUsageFlag(absl::string_view name) {
  return name == "helppackage" || name == "helpon" || name == "helpmatch" || name == "only_check_args";
}

std::string FlagsHelp(absl::string_view usage, bool with_abseil) {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!flag->IsRetired() && (with_abseil || !IsAbseilFile(flag->Filename()))) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(), [](auto* a, auto* b) { return a->Name() < b->Name(); });
  std::string text = absl::StrCat("usage: ", usage, "\n\nflags:\n");
  for (const absl::CommandLineFlag* flag : flags) {
    absl::StrAppend(&text, "  --", flag->Name(), "=", flag->DefaultValue(), "\n      ", flag->Help(), "\n");
  }
  absl::StrAppend(&text,
                  "  --help, -h\n      this binary's own flags\n"
                  "  --helpfull\n      every flag, Abseil's too (--flagfile, --fromenv, ...)\n"
                  "  --version\n      the project version and the git revision built from\n");
  return text;
}

// Walks argv before Abseil does, so that --help and --version answer with
// exit 0 and an unknown or malformed flag exits with kExitBadInput.
void CheckFlags(int argc, char** argv, absl::string_view program, absl::string_view usage) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") return;                           // the rest is positional
    if (arg.size() < 2 || arg[0] != '-') continue;     // positional, or "-"
    absl::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    const size_t eq = body.find('=');
    const absl::string_view name = body.substr(0, eq);
    const bool has_value = eq != absl::string_view::npos;
    if (name == "help" || name == "h" || name == "helpshort" || name == "helpfull") {
      std::fputs(FlagsHelp(usage, /*with_abseil=*/name == "helpfull").c_str(), stdout);
      std::exit(0);
    }
    if (name == "version") {
      std::printf("%s\n", VersionLine(std::string_view(program.data(), program.size())).c_str());
      std::exit(0);
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {  // --noquiet
      flag = absl::FindCommandLineFlag(name.substr(2));
      if (flag != nullptr && !flag->IsOfType<bool>()) flag = nullptr;
      if (flag != nullptr && has_value) ExitBadInput(program, absl::StrCat(arg, ": a negated flag takes no value"));
      if (flag != nullptr) continue;
    }
    if (flag == nullptr || flag->IsRetired()) ExitBadInput(program, absl::StrCat("unknown flag ", arg));
    if (IsAbseilUsageFlag(name)) continue;  // not in the flag registry; Abseil handles them
    if (ParsedByAbseil(name)) {
      if (!has_value) ++i;
      continue;
    }
    std::string value;
    if (has_value) {
      value = std::string(body.substr(eq + 1));
    } else if (flag->IsOfType<bool>()) {
      continue;  // --quiet
    } else if (i + 1 < argc) {
      value = argv[++i];  // --server HOST:PORT
    } else {
      ExitBadInput(program, absl::StrCat(arg, " needs a value"));
    }
    // Parsing sets the flag; Abseil's parse below sets it again to the same
    // value.
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      ExitBadInput(program, absl::StrCat("--", name, " = '", value, "'; ", error));
    }
  }
}

}  // namespace

std::string OwnFlagsHelp(std::string_view usage) {
  return FlagsHelp(absl::string_view(usage.data(), usage.size()), /*with_abseil=*/false);
}

std::vector<char*> ParseCommandLineOrExit(int argc, char** argv, std::string_view program_name,
                                          std::string_view usage_text) {
  const absl::string_view program(program_name.data(), program_name.size());
  const absl::string_view usage(usage_text.data(), usage_text.size());
  // Abseil allows one usage message per process (tests parse repeatedly).
  static const bool usage_set = (absl::SetProgramUsageMessage(usage), true);
  (void)usage_set;
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view f) { return !IsAbseilFile(f); };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.contains_helppackage_flags = config.contains_help_flags;
  config.normalize_filename = SourceRelative;
  config.version_string = [name = std::string(program)] { return VersionLine(name) + "\n"; };
  absl::SetFlagsUsageConfig(config);
  CheckFlags(argc, argv, program, usage);
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace strata
