// One command-line front door for every strata binary: the same --help,
// --version and exit codes whichever binary a user starts.
#ifndef STRATA_COMMON_COMMAND_LINE_H_
#define STRATA_COMMON_COMMAND_LINE_H_

#include <string>
#include <string_view>
#include <vector>

namespace strata {

// Exit codes every binary uses: 0 success, 1 any other failure,
// 2 bad input (an unknown flag, a flag value that does not parse, a field
// out of range).
inline constexpr int kExitBadInput = 2;

// Parses argv with Abseil flags and returns the positional arguments
// (argv[0] first), after answering the questions a new user asks first:
//   --help, -h       usage and this binary's own flags (not Abseil's), exit 0
//   --version        "<program> <project version> (git <revision>)", exit 0
//   --helpfull       every flag, Abseil's included, exit 0
// An unknown flag or a value that does not parse prints the reason and
// exits with kExitBadInput; Abseil alone would exit 1.
std::vector<char*> ParseCommandLineOrExit(int argc, char** argv, std::string_view program,
                                          std::string_view usage);

// What --help prints: the usage text and every flag not defined by Abseil,
// sorted by name, with its default and help.
std::string OwnFlagsHelp(std::string_view usage);

}  // namespace strata

#endif  // STRATA_COMMON_COMMAND_LINE_H_
