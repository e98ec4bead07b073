#pragma once

#include "plan.h"
#include "results/sample.h"
#include "transport/transport.h"

namespace nestscope {

/// The shell command line that carries out a probe on a target. Every value from the plan is
/// quoted; only a `shell` probe's own command reaches the shell as written.
QString compileProbe(const Probe &probe);

/// Turns what the command did into a verdict, timings and a message a person can read.
Sample evaluateProbe(const Probe &probe, const QString &command, const CommandResult &result);

/// Whether a sample is what the plan's author expected: a pass where a pass is expected, a fail
/// or timeout where a failure is expected. Skipped samples never break an expectation; errors
/// (the probe could not measure) always do.
bool expectationHolds(const Plan &plan, const Sample &sample);

} // namespace nestscope
