#pragma once

#include "diagnosis/diagnosis.h"
#include "plan/plan.h"
#include "results/sample.h"

#include <QByteArray>

namespace nestscope {

/// JUnit XML for CI systems: one test suite per target, one test case per probe; a case fails
/// when any of its samples breaks the plan's expectation, with every such sample in the message.
QByteArray runToJUnit(const Plan &plan, const Run &run);

/// A Markdown summary a team can read: the verdict, the findings of the diagnosis when one is
/// given (first: they are what the reader came for), the matrix (probes x targets) and every
/// cell whose expectation did not hold, with the exact command and what it printed.
QByteArray runToMarkdown(const Plan &plan, const Run &run, const Diagnosis *diagnosis = nullptr);

/// The findings as GitHub-flavoured Markdown: the verdict, then per finding its cause,
/// confidence and why, what it affects, the evidence (raw text in code blocks, long ones folded
/// in <details>), the fix with its revert commands, checks and references.
QString diagnosisToMarkdown(const Diagnosis &diagnosis);

/// The verdict for a terminal: "Diagnosis: <summary>", then one line per finding (rank,
/// confidence, title, targets) and under the first its fix commands. Plain text, no colours.
QString diagnosisSummaryText(const Diagnosis &diagnosis);

} // namespace nestscope
