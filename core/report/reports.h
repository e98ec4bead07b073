#pragma once

#include "plan/plan.h"
#include "results/sample.h"

#include <QByteArray>

namespace nestscope {

/// JUnit XML for CI systems: one test suite per target, one test case per probe; a case fails
/// when any of its samples breaks the plan's expectation, with every such sample in the message.
QByteArray runToJUnit(const Plan &plan, const Run &run);

/// A Markdown summary a team can read: the verdict, the matrix (probes x targets) and every
/// cell whose expectation did not hold, with the exact command and what it printed.
QByteArray runToMarkdown(const Plan &plan, const Run &run);

} // namespace nestscope
