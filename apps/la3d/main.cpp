// The la3d command line: the only place that talks to the user.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <opencv2/core/utils/logger.hpp>
#include <sstream>

#include "commands.hpp"
#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/version.hpp"
#include "legacy_args.hpp"

namespace {

std::string exit_codes_help() {
  using namespace la3d::cli;
  return fmt::format(
      "Exit status: 0 done; {} error (one line on stderr); {} wrong command line; {} truncated or "
      "damaged video (nothing written; --allow-truncated keeps what was read); 130/143 "
      "interrupted by SIGINT/SIGTERM (128 + the signal).",
      kExitError, kExitUsage, kExitTruncated);
}

// A list option's default comes out of CLI11 (2.1) as the string "[a,b]"; written as CLI11 writes
// a given list ([a, b], or a lone item as itself), reading the file back gives the same text.
std::string config_line(std::string line) {
  const auto eq = line.find("=\"[");
  if (eq == std::string::npos || !line.ends_with("]\"")) return line;
  std::vector<std::string> items;
  std::stringstream in(line.substr(eq + 3, line.size() - eq - 5));
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  auto quoted = [](const std::string& v) {
    return !v.empty() && v.find_first_not_of("0123456789.-") == std::string::npos ? v
                                                                                  : "\"" + v + "\"";
  };
  std::string value;
  for (const std::string& v : items) value += (value.empty() ? "" : ", ") + quoted(v);
  return line.substr(0, eq + 1) + (items.size() == 1 ? value : "[" + value + "]");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace la3d::cli;
  // OpenCV's own warnings would break the one-line error contract; la3d reports failures itself.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  std::vector<std::string> raw(argv + 1, argv + argc);
  auto args = translate_legacy_args(raw);
  if (!args) return fail(args.error().message);

  CLI::App app{"la3d: low-latency video anonymization (LA3D) for crowd anomaly detection", "la3d"};
  // Named, so that the usage lines of the subcommands name the program ("la3d anonymize").
  app.footer(exit_codes_help());
  app.set_version_flag("--version", std::string("la3d ") + LA3D_VERSION);
  app.require_subcommand(1);
  AnonymizeArgs anonymize;
  add_anonymize_command(app, anonymize);
  BenchArgs bench;
  add_bench_command(app, bench);
  ModelsArgs models;
  add_models_command(app, models);
  VadArgs vad;
  add_vad_command(app, vad);
  VadToolArgs tools;
  add_vad_tool_commands(app, tools);
  ServeArgs serve;
  add_serve_command(app, serve);
  PrivacyArgs privacy;
  add_privacy_command(app, privacy);
  ExperimentArgs experiment;
  add_experiment_command(app, experiment);
  auto* methods = app.add_subcommand("methods", "list the AN methods");

  // CLI11 would answer "A subcommand is required" to a mistyped one.
  const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  // CLI11's own config reader (a TOML subset): a [SUBCOMMAND] section, keys named as the long
  // options. It reads only on the top-level app (CLI11 2.1), so `--config` is the top-level
  // option and each subcommand lets it fall through: `la3d anonymize --config F` works.
  app.set_config("--config", "",
                 "read options from a TOML file ([anonymize] etc.; see --print-config)");
  for (CLI::App* sub : subs) {
    sub->footer(exit_codes_help());
    sub->fallthrough();
  }
  bool print_config = false;
  CLI::App* anonymize_cmd = app.get_subcommand("anonymize");
  anonymize_cmd
      ->add_flag("--print-config", print_config,
                 "print the effective settings as a --config file (TOML) and exit")
      ->configurable(false);
  if (!args->empty() && !args->front().starts_with("-") &&
      std::none_of(subs.begin(), subs.end(),
                   [&](const CLI::App* c) { return c->check_name(args->front()); }))
    return fail("unknown command " + args->front() + " (see la3d --help)", kExitUsage);
  std::vector<std::string> reversed(args->rbegin(),
                                    args->rend());  // CLI11 takes them back to front
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "la3d: error: " << e.what() << " (see --help)" << std::endl;
    return kExitUsage;
  }
  if (print_config) {
    // Options without a value (no default, not given) and flags not set are left out: read back,
    // an empty string would be a value and a flag's "false" would count as given (and clash with
    // flags that exclude it).
    std::istringstream all(anonymize_cmd->config_to_str(true, false));
    std::cout << "[anonymize]\n";
    for (std::string line; std::getline(all, line);) {
      if (line.starts_with("colour=\"#")) line.erase(8, 1);  // see parse_colour
      if (!line.ends_with("=\"\"") && !line.ends_with("=false"))
        std::cout << config_line(line) << "\n";
    }
    return 0;
  }
  if (methods->parsed()) {
    for (const auto& m : la3d::all_methods())
      std::cout << fmt::format("{:<27} {:<11} {}\n", m.name, m.paper, m.description);
    return 0;
  }
  // Anything thrown past the library's own error values still unwinds here, so that every sink's
  // destructor removes its temporary file.
  try {
    if (app.got_subcommand("bench")) return run_bench(bench);
    if (app.got_subcommand("models")) return run_models(models);
    if (app.got_subcommand("vad")) return run_vad(vad);
    if (app.got_subcommand("serve")) return run_serve(serve);
    if (app.got_subcommand("privacy")) return run_privacy(privacy);
    if (app.got_subcommand("experiment")) return run_experiment(experiment);
    if (app.got_subcommand("score") || app.got_subcommand("features") || app.got_subcommand("eval"))
      return run_vad_tool(tools);
    return run_anonymize(anonymize);
  } catch (const std::exception& e) {
    return fail(std::string("internal error: ") + e.what());
  }
}
