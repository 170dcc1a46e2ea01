#include "vad/unpickler.hpp"

#include <cstring>
#include <map>

namespace la3d {
namespace {

using K = PyValue::Kind;

// torch.FloatStorage etc. (and the dtype names of newer files) -> la3d's dtype name.
std::string storage_dtype(const std::string& global) {
  static const std::map<std::string, std::string> names{
      {"torch.FloatStorage", "float32"}, {"torch.DoubleStorage", "float64"},
      {"torch.HalfStorage", "float16"},  {"torch.BFloat16Storage", "bfloat16"},
      {"torch.LongStorage", "int64"},    {"torch.IntStorage", "int32"},
      {"torch.ShortStorage", "int16"},   {"torch.CharStorage", "int8"},
      {"torch.ByteStorage", "uint8"},    {"torch.BoolStorage", "bool"}};
  const auto it = names.find(global);
  return it == names.end() ? "" : it->second;
}

std::vector<int64_t> ints_of(const PyRef& t) {
  std::vector<int64_t> out;
  if (t && (t->kind == K::Tuple || t->kind == K::List))
    for (const PyRef& x : t->items) out.push_back(x->i);
  return out;
}

class Machine {
 public:
  Machine(std::string_view b, size_t& pos, PyArena& arena) : b_(b), pos_(pos), arena_(arena) {}

  Result<PyRef> run() {
    while (true) {
      if (pos_ >= b_.size()) return make_error("pickle ends without STOP");
      const uint8_t op = uint8_t(b_[pos_++]);
      if (op == '.') {
        if (stack_.empty()) return make_error("pickle stack empty at STOP");
        return stack_.back();
      }
      if (Status s = step(op); !s) return s.error();
      if (full_) return make_error("pickle holds more than a checkpoint's number of objects");
    }
  }

 private:
  // A value from the arena; when it is full, a scratch value stands in and run() stops after
  // this opcode, so no opcode needs its own check.
  PyRef make(K kind) {
    PyRef v = arena_.make(kind);
    if (v) return v;
    full_ = true;
    scratch_ = PyValue{};
    scratch_.kind = kind;
    return &scratch_;
  }
  PyRef make_int(int64_t i) {
    PyRef v = make(K::Int);
    v->i = i;
    return v;
  }
  PyRef make_str(K kind, std::string s) {
    PyRef v = make(kind);
    v->s = std::move(s);
    return v;
  }

  bool need(size_t n) const { return pos_ + n <= b_.size(); }
  uint64_t le(int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | uint8_t(b_[pos_ + size_t(i)]);
    pos_ += size_t(n);
    return v;
  }
  Result<std::string> bytes(size_t n) {
    if (!need(n)) return make_error("pickle string runs past the end");
    std::string s(b_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  Result<std::string> line() {
    const size_t end = b_.find('\n', pos_);
    if (end == std::string_view::npos) return make_error("pickle line runs past the end");
    std::string s(b_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  Result<PyRef> pop() {
    if (stack_.empty()) return make_error("pickle stack underflow");
    PyRef v = stack_.back();
    stack_.pop_back();
    return v;
  }
  // Everything above the topmost mark, which is removed.
  Result<std::vector<PyRef>> pop_mark() {
    if (marks_.empty()) return make_error("pickle MARK missing");
    const size_t m = marks_.back();
    marks_.pop_back();
    if (m > stack_.size()) return make_error("pickle MARK beyond the stack");
    std::vector<PyRef> items(stack_.begin() + long(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  PyRef tuple(std::vector<PyRef> items) {
    PyRef t = make(K::Tuple);
    t->items = std::move(items);
    return t;
  }
  static void set_item(PyValue& d, PyRef k, PyRef v) {
    if (k->kind == K::Str)
      for (auto& kv : d.dict)
        if (kv.first->kind == K::Str && kv.first->s == k->s) {
          kv.second = v;
          return;
        }
    d.dict.emplace_back(k, v);
  }
  Status memo_put(uint64_t id) {
    if (stack_.empty()) return make_error("pickle memo of an empty stack");
    memo_[id] = stack_.back();
    return Ok{};
  }
  Status memo_get(uint64_t id) {
    const auto it = memo_.find(id);
    if (it == memo_.end())
      return make_error("pickle memo entry " + std::to_string(id) + " missing");
    stack_.push_back(it->second);
    return Ok{};
  }

  // The few callables a state dict uses; everything else is kept as an opaque value.
  Result<PyRef> reduce(const PyRef& f, const PyRef& args) {
    const std::string name = f->kind == K::Global ? f->s : "?";
    const auto& a = args->items;
    if (name == "collections.OrderedDict" || name == "builtins.dict") return make(K::Dict);
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (a.size() < 4 || a[0]->kind != K::Storage)
        return make_error("pickle: malformed " + name + " call");
      PyRef t = make(K::Tensor);
      t->items = {a[0]};
      t->i = a[1]->i;
      t->shape = ints_of(a[2]);
      t->stride = ints_of(a[3]);
      return t;
    }
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != K::Tensor) return make_error("pickle: malformed " + name);
      return a[0];
    }
    return make_str(K::Opaque, name);
  }

  // One opcode. Each group below handles its opcodes and sets `mine` to false for any other.
  Status step(uint8_t op) {
    using Group = Status (Machine::*)(uint8_t op, bool& mine);
    static constexpr Group kGroups[] = {
        &Machine::framing_op, &Machine::literal_op,   &Machine::string_op, &Machine::global_op,
        &Machine::memo_op,    &Machine::container_op, &Machine::object_op};
    for (Group g : kGroups) {
      bool mine = true;
      Status s = (this->*g)(op, mine);
      if (mine) return s;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    return make_error(std::string("unsupported pickle opcode ") + hex);
  }

  // PROTO and FRAME: headers with nothing to push.
  Status framing_op(uint8_t op, bool& mine) {
    switch (op) {
      case 0x80:  // PROTO
        if (!need(1)) return make_error("pickle truncated");
        ++pos_;
        return Ok{};
      case 0x95:  // FRAME
        if (!need(8)) return make_error("pickle truncated");
        pos_ += 8;
        return Ok{};
      default:
        mine = false;
        return Ok{};
    }
  }

  // Marks, empty containers, None, booleans, integers and floats.
  Status literal_op(uint8_t op, bool& mine) {
    switch (op) {
      case '(':
        marks_.push_back(stack_.size());
        return Ok{};
      case '}':
        stack_.push_back(make(K::Dict));
        return Ok{};
      case ']':
        stack_.push_back(make(K::List));
        return Ok{};
      case ')':
        stack_.push_back(make(K::Tuple));
        return Ok{};
      case 'N':
        stack_.push_back(make(K::None));
        return Ok{};
      case 0x88:
      case 0x89: {
        PyRef v = make(K::Bool);
        v->i = op == 0x88;
        stack_.push_back(v);
        return Ok{};
      }
      case 'K':
        if (!need(1)) return make_error("pickle truncated");
        stack_.push_back(make_int(int64_t(le(1))));
        return Ok{};
      case 'M':
        if (!need(2)) return make_error("pickle truncated");
        stack_.push_back(make_int(int64_t(le(2))));
        return Ok{};
      case 'J':
        if (!need(4)) return make_error("pickle truncated");
        stack_.push_back(make_int(int64_t(int32_t(uint32_t(le(4))))));
        return Ok{};
      case 0x8a: {  // LONG1: little-endian two's complement; wider than 64 bits stays opaque
        if (!need(1)) return make_error("pickle truncated");
        const size_t n = le(1);
        if (!need(n)) return make_error("pickle truncated");
        if (n > 8) {
          pos_ += n;
          stack_.push_back(make_str(K::Opaque, "int"));
          return Ok{};
        }
        uint64_t v = n ? le(int(n)) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);
        stack_.push_back(make_int(int64_t(v)));
        return Ok{};
      }
      case 'G': {  // BINFLOAT, big-endian
        if (!need(8)) return make_error("pickle truncated");
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | uint8_t(b_[pos_++]);
        PyRef x = make(K::Float);
        std::memcpy(&x->f, &v, 8);
        stack_.push_back(x);
        return Ok{};
      }
      default:
        mine = false;
        return Ok{};
    }
  }

  // Text and byte strings of every width.
  Status string_op(uint8_t op, bool& mine) {
    switch (op) {
      case 'X':
      case 0x8c:
      case 0x8d:
      case 'T':
      case 'U':
      case 'B':
      case 'C':
      case 0x8e: {
        const int width = (op == 0x8c || op == 'U' || op == 'C') ? 1
                          : (op == 0x8d || op == 0x8e)           ? 8
                                                                 : 4;
        if (!need(size_t(width))) return make_error("pickle truncated");
        auto s = bytes(size_t(le(width)));
        if (!s) return s.error();
        const bool text = op == 'X' || op == 0x8c || op == 0x8d || op == 'T' || op == 'U';
        stack_.push_back(make_str(text ? K::Str : K::Bytes, std::move(s.value())));
        return Ok{};
      }
      default:
        mine = false;
        return Ok{};
    }
  }

  // GLOBAL and STACK_GLOBAL: a class or function named by module and name.
  Status global_op(uint8_t op, bool& mine) {
    switch (op) {
      case 'c': {  // GLOBAL "module\nname\n"
        auto m = line();
        if (!m) return m.error();
        auto n = line();
        if (!n) return n.error();
        stack_.push_back(make_str(K::Global, m.value() + "." + n.value()));
        return Ok{};
      }
      case 0x93: {  // STACK_GLOBAL
        auto n = pop();
        if (!n) return n.error();
        auto m = pop();
        if (!m) return m.error();
        stack_.push_back(make_str(K::Global, m.value()->s + "." + n.value()->s));
        return Ok{};
      }
      default:
        mine = false;
        return Ok{};
    }
  }

  // The memo: values stored by index and fetched again.
  Status memo_op(uint8_t op, bool& mine) {
    switch (op) {
      case 'q':
        if (!need(1)) return make_error("pickle truncated");
        return memo_put(le(1));
      case 'r':
        if (!need(4)) return make_error("pickle truncated");
        return memo_put(le(4));
      case 0x94:
        return memo_put(memo_.size());
      case 'h':
        if (!need(1)) return make_error("pickle truncated");
        return memo_get(le(1));
      case 'j':
        if (!need(4)) return make_error("pickle truncated");
        return memo_get(le(4));
      default:
        mine = false;
        return Ok{};
    }
  }

  // Tuples, lists and dicts built from the stack, and items added to them.
  Status container_op(uint8_t op, bool& mine) {
    switch (op) {
      case 't': {
        auto items = pop_mark();
        if (!items) return items.error();
        stack_.push_back(tuple(std::move(items.value())));
        return Ok{};
      }
      case 0x85:
      case 0x86:
      case 0x87: {
        const size_t n = op - 0x84u;
        if (stack_.size() < n) return make_error("pickle stack underflow");
        std::vector<PyRef> items(stack_.end() - long(n), stack_.end());
        stack_.resize(stack_.size() - n);
        stack_.push_back(tuple(std::move(items)));
        return Ok{};
      }
      case 'l':
      case 'd': {
        auto items = pop_mark();
        if (!items) return items.error();
        PyRef v = make(op == 'l' ? K::List : K::Dict);
        if (op == 'l')
          v->items = std::move(items.value());
        else
          for (size_t i = 0; i + 1 < items->size(); i += 2)
            set_item(*v, items->at(i), items->at(i + 1));
        stack_.push_back(v);
        return Ok{};
      }
      case 'a': {
        auto x = pop();
        if (!x) return x.error();
        if (stack_.empty()) return make_error("pickle APPEND without a list");
        stack_.back()->items.push_back(x.value());
        return Ok{};
      }
      case 'e': {
        auto items = pop_mark();
        if (!items) return items.error();
        if (stack_.empty()) return make_error("pickle APPENDS without a list");
        for (auto& x : items.value()) stack_.back()->items.push_back(x);
        return Ok{};
      }
      case 's': {
        auto v = pop();
        if (!v) return v.error();
        auto k = pop();
        if (!k) return k.error();
        if (stack_.empty() || stack_.back()->kind != K::Dict)
          return make_error("pickle SETITEM without a dict");
        set_item(*stack_.back(), k.value(), v.value());
        return Ok{};
      }
      case 'u': {
        auto items = pop_mark();
        if (!items) return items.error();
        if (stack_.empty() || stack_.back()->kind != K::Dict)
          return make_error("pickle SETITEMS without a dict");
        for (size_t i = 0; i + 1 < items->size(); i += 2)
          set_item(*stack_.back(), items->at(i), items->at(i + 1));
        return Ok{};
      }
      default:
        mine = false;
        return Ok{};
    }
  }

  // REDUCE/NEWOBJ, BUILD, persistent ids (tensor storages) and POP.
  Status object_op(uint8_t op, bool& mine) {
    switch (op) {
      case 'R':
      case 0x81: {  // REDUCE, NEWOBJ
        auto args = pop();
        if (!args) return args.error();
        auto f = pop();
        if (!f) return f.error();
        auto r = reduce(f.value(), args.value());
        if (!r) return r.error();
        stack_.push_back(r.value());
        return Ok{};
      }
      case 'b': {  // BUILD: object state (an OrderedDict's _metadata, say) is not needed
        auto state = pop();
        return state ? Status(Ok{}) : Status(state.error());
      }
      case 'Q': {  // BINPERSID: ('storage', type, key, location, numel, ...)
        auto pid = pop();
        if (!pid) return pid.error();
        const auto& t = pid.value()->items;
        if (pid.value()->kind != K::Tuple || t.size() < 5 || t[0]->s != "storage")
          return make_error("pickle: unknown persistent id");
        PyRef st = make(K::Storage);
        st->dtype = storage_dtype(t[1]->s);
        if (st->dtype.empty()) return make_error("unsupported storage type " + t[1]->s);
        st->s = t[2]->s;
        st->i = t[4]->i;
        stack_.push_back(st);
        return Ok{};
      }
      case '0':
        return pop() ? Status(Ok{}) : make_error("pickle stack underflow");
      default:
        mine = false;
        return Ok{};
    }
  }

  std::string_view b_;
  size_t& pos_;
  PyArena& arena_;
  bool full_ = false;
  PyValue scratch_;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PyRef> memo_;
};

}  // namespace

PyRef PyArena::make(PyValue::Kind kind) {
  if (values_.size() >= kMaxValues) return nullptr;
  values_.emplace_back().kind = kind;
  return &values_.back();
}

Result<PyRef> unpickle(std::string_view bytes, size_t& pos, PyArena& arena) {
  return Machine(bytes, pos, arena).run();
}

}  // namespace la3d
