#include "harness.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace bench {

TimerPlan timer_plan(int count, std::chrono::nanoseconds spread) {
  TimerPlan plan;
  plan.order.resize(count);
  std::iota(plan.order.begin(), plan.order.end(), 0);
  std::mt19937_64 random(20240521);
  std::shuffle(plan.order.begin(), plan.order.end(), random);
  plan.random_cancel.resize(count);
  std::iota(plan.random_cancel.begin(), plan.random_cancel.end(), 0);
  std::shuffle(plan.random_cancel.begin(), plan.random_cancel.end(), random);
  plan.step = spread / count;
  return plan;
}

void summarise_lateness(std::vector<double>& lateness_ns, TimerStats& stats) {
  if (lateness_ns.empty()) return;
  std::sort(lateness_ns.begin(), lateness_ns.end());
  const auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(lateness_ns.size() - 1));
    return lateness_ns[index] / 1e3;
  };
  stats.lateness_median_us = at(0.5);
  stats.lateness_p99_us = at(0.99);
}

}  // namespace bench
