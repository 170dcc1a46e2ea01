// A POST /api/config body, as the dashboard's HTTP route hands it on: whatever JSON arrives must be
// taken or refused with a reason, and what is taken must hold the privacy floor.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "la3d/server/dashboard.hpp"
#include "la3d/engine/privacy_floor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto body = nlohmann::json::parse(reinterpret_cast<const char*>(data),
                                          reinterpret_cast<const char*>(data) + size, nullptr, false);
  if (body.is_discarded()) return 0;
  la3d::DashboardState state("fuzz", "off", 0.5, la3d::AnParams{});
  auto r = state.request_config(body);
  if (!r) return 0;
  const auto taken = state.take_config();
  if (!taken || !la3d::weak_settings(*taken, la3d::MaskOptions{}).empty()) __builtin_trap();
  return 0;
}
