#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace runloop::detail {

// A move-only, type-erased `void()` callable. Small callables (up to kInlineSize bytes,
// nothrow-movable) live inline, so queueing a typical lambda allocates nothing beyond its
// slot in a queue. std::function is not used: it must be copyable and allocates above
// 16 bytes.
//
// 48 bytes inline plus the ops pointer, 56 bytes in all, aligned to a pointer: the timer
// store keeps the callable and its ops in one 64-byte line (two of its 32-byte cells; one
// cell for a callable of up to 24 bytes, see core/timer_store.hpp). 48 bytes hold six
// pointers (a lambda capturing five locals by reference and an int), or a std::function and
// two pointers; shrinking it to 40 sent such [&] lambdas to the heap and made 100k timers 40%
// slower. A callable aligned to more than a pointer lives on the heap. A callable that is trivially
// copyable (a lambda capturing pointers, integers, coroutine handles) is moved with a plain
// copy and destroyed with nothing, with no call through the ops table: moving callbacks
// between queues is most of what a loop does.
class Callback {
 public:
  static constexpr std::size_t kInlineSize = 48;

  Callback() noexcept = default;

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, Callback> && std::is_invocable_v<D&>>>
  Callback(F&& f) {  // NOLINT(google-explicit-constructor): implicit by design
    if constexpr (fits_inline<D>()) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
      ops_ = &kHeapOps<D>;
    }
  }

  Callback(Callback&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) relocate_from(other);
  }

  Callback& operator=(Callback&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = other.ops_;
      if (ops_ != nullptr) relocate_from(other);
    }
    return *this;
  }

  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  // True when destroying the callable would do nothing (empty, or trivially destructible
  // and inline): a container may then drop it without touching it.
  bool trivially_destructible() const noexcept {
    return ops_ == nullptr || ops_->destroy == nullptr;
  }

  void operator()() { ops_->invoke(storage_); }

 private:
  struct Ops;

 public:
  // For a store that keeps callables in memory of its own (the timer store's 32-byte cells):
  // a callable's kind (its type's operations; null: empty), the bytes of storage it takes,
  // and moving it out to such memory and back. `Span` is how many bytes that memory holds
  // (at least the callable's size, at most kInlineSize): a byte-copyable callable is moved
  // with a copy of that many bytes, a constant.
  using Kind = const Ops*;
  Kind kind() const noexcept { return ops_; }
  static std::size_t storage_size(Kind kind) noexcept { return kind == nullptr ? 0 : kind->size; }
  static bool destroys_nothing(Kind kind) noexcept {
    return kind == nullptr || kind->destroy == nullptr;
  }
  static void destroy(Kind kind, void* storage) noexcept {
    if (kind != nullptr && kind->destroy != nullptr) kind->destroy(storage);
  }
  // Moves the callable (if any) to `to`, pointer-aligned; leaves this Callback empty.
  template <std::size_t Span>
  void move_out(void* to) noexcept {
    static_assert(Span <= kInlineSize);
    if (ops_ == nullptr) return;
    if (ops_->relocate != nullptr) {
      ops_->relocate(to, storage_);
    } else {
      std::memcpy(to, storage_, Span);
    }
    ops_ = nullptr;
  }
  // Takes a callable of `kind` moved out to `from`; this Callback must be empty.
  template <std::size_t Span>
  void move_in(Kind kind, void* from) noexcept {
    static_assert(Span <= kInlineSize);
    ops_ = kind;
    if (ops_ == nullptr) return;
    if (ops_->relocate != nullptr) {
      ops_->relocate(storage_, from);
    } else {
      std::memcpy(storage_, from, Span);
    }
  }

  // Destroys the callable. The object is emptied first, so a destructor that re-enters and
  // looks at this Callback finds it empty.
  void reset() noexcept {
    if (ops_ != nullptr) {
      const Ops* ops = ops_;
      ops_ = nullptr;
      if (ops->destroy != nullptr) ops->destroy(storage_);
    }
  }

 private:
  struct Ops {
    void (*invoke)(void* storage);
    // Null when a byte copy of the storage is a move (and leaves nothing to destroy).
    void (*relocate)(void* to, void* from) noexcept;
    // Null when there is nothing to destroy.
    void (*destroy)(void* storage) noexcept;
    std::size_t size;  // bytes of storage: the callable's, or a pointer's on the heap
  };

  // `ops_` is already set to other.ops_, which is not null.
  void relocate_from(Callback& other) noexcept {
    if (ops_->relocate != nullptr) {
      ops_->relocate(storage_, other.storage_);
    } else {
      std::memcpy(storage_, other.storage_, kInlineSize);
    }
    other.ops_ = nullptr;
  }

  template <class D>
  static constexpr bool fits_inline() {
    return sizeof(D) <= kInlineSize &&  // NOLINT(misc-redundant-expression)
           alignof(D) <= alignof(void*) && std::is_nothrow_move_constructible_v<D>;
  }

  template <class D>
  static void invoke_inline(void* s) {
    (*std::launder(static_cast<D*>(s)))();
  }
  template <class D>
  static void relocate_inline(void* to, void* from) noexcept {
    D* source = std::launder(static_cast<D*>(from));
    ::new (to) D(std::move(*source));
    source->~D();
  }
  template <class D>
  static void destroy_inline(void* s) noexcept {
    std::launder(static_cast<D*>(s))->~D();
  }

  template <class D>
  static constexpr Ops kInlineOps = {
      &invoke_inline<D>,
      std::is_trivially_copyable_v<D> ? nullptr : &relocate_inline<D>,
      std::is_trivially_destructible_v<D> ? nullptr : &destroy_inline<D>,
      sizeof(D),
  };

  // The storage holds a pointer: copying it is the move.
  template <class D>
  static constexpr Ops kHeapOps = {
      [](void* s) { (**static_cast<D**>(s))(); },
      nullptr,
      [](void* s) noexcept { delete *static_cast<D**>(s); },
      sizeof(D*),
  };

  alignas(void*) unsigned char storage_[kInlineSize];
  const Ops* ops_ = nullptr;
};

static_assert(sizeof(Callback) == 56, "the timer store keeps a callable and its ops in 64 bytes");

}  // namespace runloop::detail
