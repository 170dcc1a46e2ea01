// Built when the dashboard's front-end package was not fetched: `serve` says how to get it.
#include "commands.hpp"

namespace la3d::cli {

void add_serve_command(CLI::App& app, ServeArgs& a) {
  auto* cmd = app.add_subcommand("serve", "live dashboard (not in this build)");
  cmd->allow_extras();
  (void)a;
}

int run_serve(const ServeArgs&) {
  return fail(
      "this la3d was built without the dashboard: install libcpp-httplib-dev, run "
      "scripts/fetch-web-deps.sh and rebuild (make build does both)");
}

}  // namespace la3d::cli
