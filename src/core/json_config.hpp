#pragma once
// nlohmann::json checks its preconditions with JSON_ASSERT: assert() by default, so nothing at all
// in a Release build, where a const operator[] with a key that a hostile file left out then reads
// past the end of a map. la3d makes every such check throw instead, and the parsers' catch turns
// it into an error naming the file. CMake puts this header before everything in every target
// (-include), so that all translation units see one definition. (Checks inside nlohmann's noexcept
// internals guard its own invariants, not input; one failing there still ends the process.)
#include <stdexcept>
#include <string>

[[noreturn]] inline void la3d_json_precondition_failed(const char* what) {
  throw std::logic_error(std::string("malformed JSON (") + what + ")");
}
#define JSON_ASSERT(x) ((x) ? void(0) : la3d_json_precondition_failed(#x))
