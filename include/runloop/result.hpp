#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "runloop/error.hpp"

namespace runloop {

// The error alternative of a Result, like std::unexpected.
template <class E>
class Unexpected {
 public:
  constexpr explicit Unexpected(E error) : error_(std::move(error)) {}
  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

// Thrown by Result::value() when it holds an error that is not a runloop::Error.
template <class E>
class BadResultAccess : public std::exception {
 public:
  explicit BadResultAccess(E error) : error_(std::move(error)) {}
  const char* what() const noexcept override { return "runloop::Result holds an error"; }
  const E& error() const noexcept { return error_; }

 private:
  E error_;
};

namespace detail {
template <class E>
[[noreturn]] void throw_bad_access(const E& error) {
  if constexpr (std::is_same_v<E, Error>) {
    throw RunLoopError(error);
  } else {
    throw BadResultAccess<E>(error);
  }
}
}  // namespace detail

// A small std::expected: member names match it so that a later switch is painless.
template <class T, class E>
class Result {
 public:
  using value_type = T;
  using error_type = E;

  constexpr Result() : storage_(std::in_place_index<0>) {}
  template <class U = T, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                  !std::is_same_v<std::remove_cvref_t<U>, Result>>>
  constexpr Result(U&& value) : storage_(std::in_place_index<0>, std::forward<U>(value)) {}
  template <class G>
  constexpr Result(Unexpected<G> error)
      : storage_(std::in_place_index<1>, std::move(error).error()) {}

  constexpr bool has_value() const noexcept { return storage_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr T& value() & { return check(), std::get<0>(storage_); }
  constexpr const T& value() const& { return check(), std::get<0>(storage_); }
  constexpr T&& value() && { return check(), std::get<0>(std::move(storage_)); }
  constexpr const E& error() const& noexcept { return *std::get_if<1>(&storage_); }
  constexpr E& error() & noexcept { return *std::get_if<1>(&storage_); }

  constexpr T& operator*() & noexcept { return *std::get_if<0>(&storage_); }
  constexpr const T& operator*() const& noexcept { return *std::get_if<0>(&storage_); }
  constexpr T&& operator*() && noexcept { return std::move(*std::get_if<0>(&storage_)); }
  constexpr T* operator->() noexcept { return std::get_if<0>(&storage_); }
  constexpr const T* operator->() const noexcept { return std::get_if<0>(&storage_); }

  template <class U>
  constexpr T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  constexpr T value_or(U&& fallback) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  constexpr void check() const {
    if (!has_value()) detail::throw_bad_access(error());
  }
  std::variant<T, E> storage_;
};

template <class E>
class Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  constexpr Result() noexcept = default;
  template <class G>
  constexpr Result(Unexpected<G> error) : error_(std::move(error).error()) {}

  constexpr bool has_value() const noexcept { return !error_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  constexpr void value() const {
    if (error_) detail::throw_bad_access(*error_);
  }
  constexpr void operator*() const noexcept {}
  constexpr const E& error() const& noexcept { return *error_; }
  constexpr E& error() & noexcept { return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace runloop
