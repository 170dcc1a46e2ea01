#include "scorer_args.hpp"

namespace la3d::cli {

CLI::Option* add_scorer_options(CLI::App& cmd, ScorerOptions& o, const ScorerFlags& f) {
  std::vector<std::string> heads{"motion", "pel", "pel4vad", "mgfn"};
  if (f.off) heads.push_back("off");
  auto* head =
      cmd.add_option(f.head, o.head,
                     std::string("VAD head: motion (training-free optical-flow score), pel "
                                 "(PEL4VAD) or mgfn (MGFN)") +
                         (f.off ? "; off: no VAD" : ""))
          ->check(CLI::IsMember(heads));
  if (f.head_default) head->capture_default_str();
  cmd.add_option(f.dataset, o.dataset, "configuration of the learned head: ucf or xd")
      ->check(CLI::IsMember({"ucf", "xd"}))
      ->capture_default_str();
  cmd.add_option("--weights", o.weights, "head checkpoint (.pkl/.pt/.pth from torch.save)");
  cmd.add_option("--encoder-weights", o.encoder_weights, "I3D checkpoint");
  if (f.encoder)
    cmd.add_option("--encoder", o.encoder, "inception, r50, or auto (the head's pairing)")
        ->capture_default_str();
  cmd.add_flag("--formula-weights", o.formula_weights,
               "use the reference vectors' synthetic weights (benchmarks, tests: scores mean "
               "nothing)");
  if (f.alert)
    cmd.add_option("--alert-threshold,--threshold", o.alert_threshold,
                   "alert when a snippet's score is at or above this")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
  return head;
}

}  // namespace la3d::cli
